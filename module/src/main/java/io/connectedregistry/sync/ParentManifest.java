package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;

/**
 * A manifest exactly as the parent sent it: the bytes are what gets stored and hashed, never a
 * re-serialised object, so the local digest is the parent's.
 */
public record ParentManifest(byte[] bytes, String mediaType, Digest digest) {}
