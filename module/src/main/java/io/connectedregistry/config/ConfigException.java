package io.connectedregistry.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A configuration the registry refuses. The message is written for the person who wrote the
 * configuration: one line per problem naming the key (file key, environment variable or flag) and
 * what is accepted, so the CLI prints it as-is, without a stack trace. A configuration is checked
 * whole: {@link #problems()} lists every bad key, not only the first.
 *
 * <p>Unchecked so the layers (and later the module twin adapter) can throw it from deep inside a
 * tree walk; the few entry points that face a user catch it.
 */
public final class ConfigException extends RuntimeException {
  private final List<String> problems;

  public ConfigException(String message) {
    super(message);
    this.problems = List.of(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
    this.problems = List.of(message);
  }

  /** Every problem found, in the order found; the message joins them with "; ". */
  public ConfigException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each bad key's problem, one line each. */
  public List<String> problems() {
    return problems;
  }

  /** The same problem, saying which file it was found in. */
  ConfigException in(Path file) {
    return new ConfigException(getMessage() + " (in " + file + ")", getCause());
  }
}
