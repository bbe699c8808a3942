package io.connectedregistry.sync;

/**
 * The parent answered with a status the call did not expect. {@code errorCode} is the first OCI
 * error code of the body ({@code {"errors":[{"code":..}]}}) when there is one.
 */
public final class ParentStatusException extends RuntimeException {
  private final int status;
  private final String errorCode;

  public ParentStatusException(String method, String path, int status, String errorCode, String detail) {
    super(method + " " + path + " answered " + status
        + (errorCode == null ? "" : " " + errorCode)
        + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    this.status = status;
    this.errorCode = errorCode;
  }

  public int status() {
    return status;
  }

  /** The OCI error code, or null. */
  public String errorCode() {
    return errorCode;
  }

  /** 429 and 5xx are worth trying again; any other status will be the same next time. */
  public boolean transientStatus() {
    return status == 429 || status >= 500;
  }
}
