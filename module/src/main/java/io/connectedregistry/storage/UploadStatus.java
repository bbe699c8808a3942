package io.connectedregistry.storage;

/** An upload in progress: {@code size} bytes received so far. */
public record UploadStatus(String id, String repository, long size) {}
