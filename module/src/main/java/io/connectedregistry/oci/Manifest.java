package io.connectedregistry.oci;

import java.util.List;
import java.util.Map;

/**
 * A parsed manifest. {@code bytes} are exactly what the client sent: the digest is of these bytes
 * and they are what is served back, never a re-serialisation.
 *
 * @param blobs config, layers and (for artifact manifests) blobs: must be in the repository
 * @param manifests the children of an index: must be in the repository
 * @param subject the manifest this one refers to (referrers API), or null
 * @param artifactType the {@code artifactType} field, else an image's config media type, else null
 */
public record Manifest(
    String mediaType,
    Digest digest,
    byte[] bytes,
    List<Descriptor> blobs,
    List<Descriptor> manifests,
    Descriptor subject,
    String artifactType,
    Map<String, String> annotations) {

  public boolean isIndex() {
    return MediaTypes.isIndex(mediaType);
  }
}
