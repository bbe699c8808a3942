package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import java.util.Map;

/** One entry of a referrers index. */
public record ReferrerDescriptor(
    String mediaType, Digest digest, long size, String artifactType, Map<String, String> annotations) {}
