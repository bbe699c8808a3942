package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;

/** The parent sent content whose digest is not the one expected; nothing of it was kept. */
public final class DigestMismatchException extends RuntimeException {
  private final Digest expected;
  private final Digest actual;

  /** @param what e.g. {@code "blob sha256:.. of library/app"} */
  public DigestMismatchException(String what, Digest expected, Digest actual, long size) {
    super(what + ": expected digest " + expected + " but the parent's " + size + " bytes have digest "
        + actual + "; discarded");
    this.expected = expected;
    this.actual = actual;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
