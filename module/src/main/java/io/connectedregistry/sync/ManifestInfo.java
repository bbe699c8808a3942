package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;

/** What a HEAD of a manifest tells: enough to decide whether to GET it. {@code digest} may be null. */
public record ManifestInfo(Digest digest, String mediaType, long size) {}
