package io.connectedregistry.bundle;

/**
 * A bundle could not be made (or read), with a message for the person who ran the command. {@link
 * #usersToFix} tells a mistake in the request (an unknown repository, a cursor of another store)
 * from a failure of the data (a blob gone, a disk error).
 */
public final class BundleException extends RuntimeException {
  private final boolean usersToFix;

  private BundleException(String message, boolean usersToFix, Throwable cause) {
    super(message, cause);
    this.usersToFix = usersToFix;
  }

  /** The request is wrong; running it again unchanged would fail the same way. */
  static BundleException request(String message) {
    return new BundleException(message, true, null);
  }

  static BundleException failure(String message, Throwable cause) {
    return new BundleException(message, false, cause);
  }

  public boolean usersToFix() {
    return usersToFix;
  }
}
