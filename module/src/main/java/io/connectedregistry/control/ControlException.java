package io.connectedregistry.control;

/**
 * A refused connected-registry operation. The message names the registries and values involved
 * and is meant for the operator; the {@link Kind} picks the CLI's exit code and the admin API's
 * status (404, 409, 400).
 */
public final class ControlException extends RuntimeException {

  public enum Kind {
    /** A registry, parent or token named does not exist. */
    NOT_FOUND,
    /** The tree's state forbids it: a name taken, a parent with children, not the root. */
    CONFLICT,
    /** A hierarchy or mode rule forbids it: ReadOnly parent, write actions on a ReadOnly site. */
    INVALID,
    /** A limit of the access-control work (client tokens, rules). */
    LIMIT_EXCEEDED
  }

  private final Kind kind;

  public ControlException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
