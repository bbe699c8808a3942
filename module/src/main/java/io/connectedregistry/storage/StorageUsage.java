package io.connectedregistry.storage;

/**
 * What the store holds, for status reports: the bytes of its blobs and manifests, the repositories
 * holding at least one manifest, and the blobs (each counted once however many repositories link it).
 */
public record StorageUsage(long bytesUsed, long repositories, long blobs) {}
