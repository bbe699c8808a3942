package io.connectedregistry.status;

/** The link to the parent. A root registry (no parent) is always Online. Names are ACR's. */
public enum ConnectionState {
  Online,
  /** The parent is unreachable. */
  Offline,
  /** A cycle is running and the parent answers. */
  Syncing,
  /** The parent answers but refuses us (401/403). */
  Unhealthy
}
