package io.connectedregistry.status;

/** What started the last sync cycle. */
public enum SyncTrigger {
  Startup,
  Schedule,
  Manual
}
