package io.connectedregistry.bundle;

/**
 * Told how a long transfer (a bundle export or import) advances, for a progress display. Called
 * from the thread doing the transfer; must be cheap.
 */
public interface TransferListener {
  /** Nothing to show (scripts, tests). */
  TransferListener NONE = new TransferListener() {};

  /**
   * The transfer begins.
   *
   * @param totalBytes bytes it will move, or -1 when unknown (a streamed import)
   * @param images images it holds, or -1 when unknown
   */
  default void started(long totalBytes, long images) {}

  /** {@code bytes} more bytes moved. */
  default void transferred(long bytes) {}

  /** One more image is complete. */
  default void imageDone() {}

  /** The transfer ended, well or not. */
  default void finished() {}
}
