package io.connectedregistry.auth;

/** A disabled token keeps its passwords and scope map but cannot log in. */
public enum TokenStatus {
  ENABLED,
  DISABLED
}
