package io.connectedregistry.status;

/** What started the last sync cycle. */
public enum SyncTrigger {
  Startup,
  Schedule,
  Manual,
  /** A new configuration (config API, SIGHUP) replanned sync and started a cycle. */
  Reconfigured
}
