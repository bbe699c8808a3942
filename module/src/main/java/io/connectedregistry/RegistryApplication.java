package io.connectedregistry;

import io.connectedregistry.config.RegistryConfig;

/** Wires storage, the HTTP API and background jobs together; the one thing {@link Main} starts. */
public final class RegistryApplication {

  private RegistryApplication() {}

  /** Opens the store and starts listening; returns once the server accepts connections. */
  public static RegistryApplication start(RegistryConfig config) throws Exception {
    throw new UnsupportedOperationException("not wired yet");
  }

  /** Stops accepting connections, lets in-flight requests finish, closes the store. */
  public void stop() {}

  /** Runs the garbage collector once on a registry's data folder and returns a one-line summary. */
  public static String collectGarbage(RegistryConfig config) throws Exception {
    throw new UnsupportedOperationException("not wired yet");
  }
}
