package io.connectedregistry.oci;

/** A failure the client caused or can act on; carries the spec error code and a detail string. */
public final class RegistryException extends RuntimeException {
  private final ErrorCode code;
  private final String detail;

  public RegistryException(ErrorCode code, String detail) {
    super(code.name() + (detail == null ? "" : ": " + detail), null, false, false);
    this.code = code;
    this.detail = detail;
  }

  public ErrorCode code() {
    return code;
  }

  public String detail() {
    return detail;
  }
}
