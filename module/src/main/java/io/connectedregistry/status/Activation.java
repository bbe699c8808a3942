package io.connectedregistry.status;

/** Whether the registry serves: Active once it listens, Inactive while it starts or stops. */
public enum Activation {
  Active,
  Inactive
}
