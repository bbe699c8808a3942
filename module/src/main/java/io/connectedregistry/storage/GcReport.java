package io.connectedregistry.storage;

/** What one garbage-collection run removed. */
public record GcReport(int linksRemoved, int blobsRemoved, long bytesFreed, int orphanFilesRemoved, int uploadsExpired) {
  @Override
  public String toString() {
    return String.format(
        "gc: removed %d unreferenced repository links, %d blobs (%d bytes), %d orphan files, %d expired uploads",
        linksRemoved, blobsRemoved, bytesFreed, orphanFilesRemoved, uploadsExpired);
  }
}
