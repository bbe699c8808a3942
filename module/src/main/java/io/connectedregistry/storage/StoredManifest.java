package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;

/** A manifest as stored: its exact bytes and what the API needs to serve it. */
public record StoredManifest(Digest digest, String mediaType, byte[] bytes, Digest subject) {}
