package io.connectedregistry.storage;

/**
 * One entry of the change log: every tag or manifest change gets the next sequence number, so a
 * child registry can ask for "everything after N".
 *
 * @param action one of {@code manifest_put}, {@code manifest_deleted}, {@code tag_set}, {@code tag_deleted}
 * @param tag the tag, for tag actions; else null
 * @param origin who made it; null for changes recorded before origins were (schema version 1)
 */
public record Change(long sequence, String repository, String action, String tag, String digest, long timestampMillis,
    ChangeOrigin origin) {

  /** Made by a client of this registry (not by sync, and not of unknown origin). */
  public boolean byClient() {
    return origin == ChangeOrigin.CLIENT;
  }
}
