package io.connectedregistry.status;

/**
 * The state of downstream sync (the {@code syncState} field; not {@code sync.SyncState}, the durable
 * cursor). The names are the JSON values clients already read.
 */
public enum SyncPhase {
  Pending,
  Syncing,
  Succeeded,
  Failed,
  /** Stopped by the window's end. */
  TimedOut,
  /** Waiting for free space on the data folder (see {@link RegistryStatus.Paused}). */
  Paused
}
