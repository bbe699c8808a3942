package io.connectedregistry.config;

import java.nio.file.Path;

/**
 * A configuration the registry refuses. The message is written for the person who wrote the
 * configuration: one line naming the key (file key, environment variable or flag) and what is
 * accepted, so the CLI prints it as-is, without a stack trace.
 *
 * <p>Unchecked so the layers (and later the module twin adapter) can throw it from deep inside a
 * tree walk; the few entry points that face a user catch it.
 */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The same problem, saying which file it was found in. */
  ConfigException in(Path file) {
    return new ConfigException(getMessage() + " (in " + file + ")", getCause());
  }
}
