package io.connectedregistry.oci;

/**
 * Every error this registry reports, once, with its HTTP status. The codes are the distribution
 * spec's (plus the few distribution itself uses); the one failure handler in {@code api} writes
 * them as {@code {"errors":[{"code","message","detail"}]}}.
 */
public enum ErrorCode {
  BLOB_UNKNOWN(404, "blob unknown to registry"),
  BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
  BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
  DIGEST_INVALID(400, "provided digest did not match uploaded content"),
  MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
  MANIFEST_INVALID(400, "manifest invalid"),
  MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
  NAME_INVALID(400, "invalid repository name"),
  NAME_UNKNOWN(404, "repository name not known to registry"),
  SIZE_INVALID(400, "provided length did not match content length"),
  TAG_INVALID(400, "manifest tag did not match URI"),
  UNAUTHORIZED(401, "authentication required"),
  DENIED(403, "requested access to the resource is denied"),
  UNSUPPORTED(405, "the operation is unsupported"),
  TOOMANYREQUESTS(429, "too many requests"),
  // Not in the spec's table, but the statuses it prescribes for these cases.
  RANGE_INVALID(416, "requested range not satisfiable"),
  /**
   * The spec asks for 413 and names no code; clients treat a code outside its table as UNKNOWN,
   * so the answer says MANIFEST_INVALID (as zot does).
   */
  MANIFEST_TOO_LARGE(413, "MANIFEST_INVALID", "manifest invalid"),
  PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
  // The spec has no code for a full disk; 507 is RFC 4918's "Insufficient Storage" (distribution
  // answers 500). Below storage.minFreeBytes, or on a real ENOSPC: new bytes are refused, pulls go on.
  INSUFFICIENT_STORAGE(507, "insufficient storage"),
  // The token endpoint and the admin API (outside /v2/), in the same shape.
  REQUEST_INVALID(400, "request invalid"),
  RESOURCE_UNKNOWN(404, "resource unknown"),
  RESOURCE_CONFLICT(409, "resource conflicts with the current state"),
  LIMIT_EXCEEDED(409, "limit exceeded"),
  UNAVAILABLE(503, "service unavailable"),
  UNKNOWN(500, "unknown error");

  private final int status;
  private final String code;
  private final String message;

  ErrorCode(int status, String message) {
    this.status = status;
    this.code = name();
    this.message = message;
  }

  ErrorCode(int status, String code, String message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  public int status() {
    return status;
  }

  /** The {@code code} clients see: the constant's name, except where a spec code says the same. */
  public String code() {
    return code;
  }

  public String message() {
    return message;
  }

  public RegistryException exception(String detail) {
    return new RegistryException(this, detail);
  }
}
