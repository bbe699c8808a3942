package io.connectedregistry.sync;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes received from the parent, whether kept or not (a restarted download counts twice), and
 * blobs committed. For status reports and to check that no blob is transferred twice.
 */
public final class TransferCounter {
  private final AtomicLong blobBytes = new AtomicLong();
  private final AtomicLong blobsCommitted = new AtomicLong();

  void received(long bytes) {
    blobBytes.addAndGet(bytes);
  }

  void committed() {
    blobsCommitted.incrementAndGet();
  }

  public long blobBytes() {
    return blobBytes.get();
  }

  public long blobsCommitted() {
    return blobsCommitted.get();
  }
}
