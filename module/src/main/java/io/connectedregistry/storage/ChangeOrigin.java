package io.connectedregistry.storage;

/**
 * Who made a change of the change log: a client of this registry's API, or downstream sync copying
 * the parent's content. A ReadWrite connected registry pushes only client changes up to its parent:
 * what came down from it must never go back up.
 */
public enum ChangeOrigin {
  CLIENT("client"),
  SYNC("sync");

  private final String column;

  ChangeOrigin(String column) {
    this.column = column;
  }

  /** The value of the {@code changes.origin} column. */
  String column() {
    return column;
  }

  /** Null for a change recorded before origins were (schema version 1): its origin is unknown. */
  static ChangeOrigin of(String column) {
    if (column == null) {
      return null;
    }
    for (ChangeOrigin origin : values()) {
      if (origin.column.equals(column)) {
        return origin;
      }
    }
    return null; // a newer release's origin: unknown here
  }
}
