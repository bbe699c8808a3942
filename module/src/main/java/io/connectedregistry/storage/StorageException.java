package io.connectedregistry.storage;

/** A storage failure that is not the client's fault (I/O error, corrupt metadata): answered with 500. */
public final class StorageException extends RuntimeException {
  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
