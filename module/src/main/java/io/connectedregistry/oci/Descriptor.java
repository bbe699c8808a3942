package io.connectedregistry.oci;

import java.util.Map;

/** An OCI content descriptor: what a manifest says about a piece of content it points to. */
public record Descriptor(
    String mediaType, Digest digest, long size, String artifactType, Map<String, String> annotations) {

  public Descriptor {
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }
}
