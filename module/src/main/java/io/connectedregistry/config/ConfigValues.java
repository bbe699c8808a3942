package io.connectedregistry.config;

import io.connectedregistry.config.RegistryConfig.ListenAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Parses one raw value into its typed form. Every layer (file, environment, flags) goes through
 * these, so a value is accepted or refused the same way wherever it comes from; {@code key} is
 * whatever the user wrote it under ({@code mode}, {@code REGISTRY_MODE} or {@code --mode}).
 */
final class ConfigValues {

  private ConfigValues() {}

  static ListenAddress listen(String key, String raw) {
    String host;
    String port;
    if (raw.startsWith("[")) {
      // IPv6 literal: the brackets are what tell the host's colons from the port's.
      int close = raw.indexOf(']');
      if (close < 0 || close + 1 >= raw.length() || raw.charAt(close + 1) != ':') {
        throw notHostPort(key, raw);
      }
      host = raw.substring(1, close);
      port = raw.substring(close + 2);
    } else {
      int colon = raw.indexOf(':');
      if (colon < 0 || colon != raw.lastIndexOf(':')) {
        throw notHostPort(key, raw);
      }
      host = raw.substring(0, colon);
      port = raw.substring(colon + 1);
    }
    if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)
        || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw notHostPort(key, raw);
    }
    int number = Integer.parseInt(port);
    if (number < 1 || number > 65535) {
      throw new ConfigException(
          key + ": '" + raw + "' has port " + number + "; the port must be 1..65535");
    }
    return new ListenAddress(host, number);
  }

  private static ConfigException notHostPort(String key, String raw) {
    return new ConfigException(
        key + ": '" + raw + "' is not HOST:PORT (e.g. 0.0.0.0:5000, or [::]:5000 for IPv6)");
  }

  static Path path(String key, String raw) {
    if (raw.isBlank()) {
      throw new ConfigException(key + ": must not be empty");
    }
    try {
      return Path.of(raw);
    } catch (InvalidPathException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a valid path: " + e.getReason());
    }
  }

  /** A path that must name a readable regular file (TLS certificates, keys, CA bundles). */
  static Path readableFile(String key, String raw) {
    Path path = path(key, raw);
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new ConfigException(key + ": '" + path + "' is not a readable file");
    }
    return path;
  }

  /**
   * Case-sensitive on purpose, like ACR: the same spelling then works in the file, the
   * environment and the module twin, and a value copied from one to another means the same thing.
   */
  static <E extends Enum<E>> E oneOf(String key, String raw, Class<E> type) {
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(raw)) {
        return constant;
      }
    }
    String accepted =
        Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(", "));
    throw new ConfigException(key + ": '" + raw + "' is not one of " + accepted);
  }

  static String oneOf(String key, String raw, String... accepted) {
    for (String value : accepted) {
      if (value.equals(raw)) {
        return value;
      }
    }
    throw new ConfigException(
        key + ": '" + raw + "' is not one of " + String.join(", ", accepted));
  }

  static boolean bool(String key, String raw) {
    return Boolean.parseBoolean(oneOf(key, raw, "true", "false"));
  }

  /**
   * A parent endpoint: HOST[:PORT] (with {@code protocolKey}'s value, default https) or an
   * http(s) URL, whose scheme then must agree with the protocol if one is given.
   */
  static RegistryConfig.ParentConfig parent(String key, String endpoint, String protocolKey,
      String protocol) {
    nonBlank(key, endpoint);
    if (protocol != null) {
      oneOf(protocolKey, protocol, "http", "https");
    }
    int schemeEnd = endpoint.indexOf("://");
    if (schemeEnd < 0) {
      return new RegistryConfig.ParentConfig(endpoint, protocol == null ? "https" : protocol);
    }
    // With a URL the scheme is the protocol, so consumers can always trust `protocol`.
    String scheme = endpoint.substring(0, schemeEnd);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ConfigException(
          key + ": '" + endpoint + "' must be HOST[:PORT] or an http:// or https:// URL");
    }
    if (protocol != null && !protocol.equals(scheme)) {
      throw new ConfigException(protocolKey + ": '" + protocol
          + "' contradicts the scheme of " + key + " '" + endpoint + "'");
    }
    return new RegistryConfig.ParentConfig(endpoint, scheme);
  }

  /** Bytes per second: a number with an optional K, M or G suffix (powers of 1024); 0 = off. */
  static long bandwidth(String key, String raw) {
    long bytes;
    try {
      bytes = withSuffix(raw);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigException(key + ": '" + raw + "' is not bytes per second (e.g. 500K, 2M;"
          + " 0 = unlimited)");
    }
    if (bytes != 0 && bytes < 16 * 1024) {
      throw new ConfigException(key + ": '" + raw + "' is below 16K bytes per second, too"
          + " little to sync anything; 0 means unlimited");
    }
    return bytes;
  }

  /** A size in bytes: a number with an optional K, M or G suffix (powers of 1024). */
  static long bytes(String key, String raw) {
    try {
      return withSuffix(raw);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a size in bytes (e.g. 512M, 2G)");
    }
  }

  /** Digits with an optional K, M or G suffix (powers of 1024); throws on anything else. */
  private static long withSuffix(String raw) {
    String value = raw.strip();
    long unit = 1;
    if (!value.isEmpty()) {
      switch (Character.toUpperCase(value.charAt(value.length() - 1))) {
        case 'K' -> unit = 1024;
        case 'M' -> unit = 1024 * 1024;
        case 'G' -> unit = 1024L * 1024 * 1024;
        default -> unit = 1;
      }
    }
    String digits = unit == 1 ? value : value.substring(0, value.length() - 1);
    if (digits.isEmpty() || digits.length() > 15 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NumberFormatException(raw);
    }
    return Math.multiplyExact(Long.parseLong(digits), unit);
  }

  /** 0 (derive from the heap) or at least 4 MiB, the largest manifest a client may push. */
  static long bodyMemory(String key, String raw) {
    long bytes = bytes(key, raw);
    if (bytes != 0 && bytes < 4L * 1024 * 1024) {
      throw new ConfigException(key + ": '" + raw + "' is below 4M, the largest manifest a client"
          + " may push; 0 means derived from the heap size");
    }
    return bytes;
  }

  /** An IPv4 or IPv6 address, optionally with a /prefix; returned as written. */
  static String addressOrCidr(String key, String raw) {
    String value = raw.strip();
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    boolean v4 = address.matches("\\d{1,3}(\\.\\d{1,3}){3}")
        && Arrays.stream(address.split("\\.")).allMatch(o -> Integer.parseInt(o) <= 255);
    boolean v6 = !v4 && address.contains(":") && address.matches("[0-9A-Fa-f:.]+");
    if (!v4 && !v6) {
      throw new ConfigException(key + ": '" + raw + "' is not an IP address or CIDR range (e.g."
          + " 172.18.0.1 or 172.18.0.0/16); host names are not accepted");
    }
    if (slash >= 0) {
      String prefix = value.substring(slash + 1);
      int max = v4 ? 32 : 128;
      if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > max) {
        throw new ConfigException(key + ": '" + raw + "' has a bad prefix length; expected /0../" + max);
      }
    }
    return value;
  }

  /**
   * A token service the sync credentials may be sent to: an https URL or HOST[:PORT] (https
   * implied), returned as {@code host:port}.
   */
  static String tokenRealm(String key, String raw) {
    String value = raw.strip();
    if (value.contains("://")) {
      if (!value.regionMatches(true, 0, "https://", 0, 8)) {
        throw new ConfigException(key + ": '" + raw + "' is not https; sync credentials are sent"
            + " to another host's token service only over https");
      }
      value = value.substring(8);
      int path = value.indexOf('/');
      if (path >= 0) {
        value = value.substring(0, path);
      }
    }
    if (!value.matches("[A-Za-z0-9.-]+(:\\d{1,5})?") || value.startsWith(".") || value.startsWith("-")) {
      throw new ConfigException(key + ": '" + raw + "' is not an https token service address"
          + " (e.g. https://auth.docker.io)");
    }
    if (!value.contains(":")) {
      value = value + ":443";
    }
    int port = Integer.parseInt(value.substring(value.indexOf(':') + 1));
    if (port < 1 || port > 65535) {
      throw new ConfigException(key + ": '" + raw + "' has port " + port + "; the port must be 1..65535");
    }
    return value.toLowerCase(java.util.Locale.ROOT);
  }

  /** A five-field UNIX cron expression (cron-utils), e.g. {@code * * * * *} or {@code 0 2 * * *}. */
  static String cron(String key, String raw) {
    nonBlank(key, raw);
    try {
      new com.cronutils.parser.CronParser(com.cronutils.model.definition.CronDefinitionBuilder
          .instanceDefinitionFor(com.cronutils.model.CronType.UNIX)).parse(raw).validate();
      return raw;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a cron expression (five fields:"
          + " minute hour day-of-month month day-of-week, e.g. '* * * * *' or '0 2 * * *'): "
          + e.getMessage());
    }
  }

  static String regex(String key, String raw) {
    try {
      java.util.regex.Pattern.compile(raw);
      return raw;
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a regular expression: "
          + e.getDescription());
    }
  }

  /** An npm-style range (semver4j), e.g. {@code >=1.2.0 <2}, {@code ^1.4}, {@code 1.x}. */
  static String semverRange(String key, String raw) {
    try {
      // semver4j reads what it cannot parse as an empty list of ranges rather than failing.
      if (org.semver4j.RangesListFactory.create(raw).get().isEmpty()) {
        throw new IllegalArgumentException(raw);
      }
      return raw;
    } catch (RuntimeException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a version range (e.g. '>=1.2.0 <2',"
          + " '^1.4', '1.x')");
    }
  }

  static int intBetween(String key, String raw, int min, int max) {
    int value;
    try {
      value = Integer.parseInt(raw.strip());
    } catch (NumberFormatException e) {
      throw new ConfigException(key + ": '" + raw + "' is not a whole number");
    }
    if (value < min || value > max) {
      throw new ConfigException(key + ": " + value + " is not between " + min + " and " + max);
    }
    return value;
  }

  static String nonBlank(String key, String raw) {
    if (raw.isBlank()) {
      throw new ConfigException(key + ": must not be empty");
    }
    return raw;
  }

  /** An ISO-8601 duration within [min, max]; the bounds are passed as written in the docs. */
  static Duration durationBetween(String key, String raw, String min, String max) {
    Duration value = duration(key, raw);
    if (value.compareTo(Duration.parse(min)) < 0 || value.compareTo(Duration.parse(max)) > 0) {
      throw new ConfigException(key + ": '" + raw + "' is not between " + min + " and " + max);
    }
    return value;
  }

  /** Zero (off), or an ISO-8601 duration within [min, max]. */
  static Duration zeroOrDurationBetween(String key, String raw, String min, String max) {
    Duration value = duration(key, raw);
    if (value.isZero()) {
      return value;
    }
    if (value.compareTo(Duration.parse(min)) < 0 || value.compareTo(Duration.parse(max)) > 0) {
      throw new ConfigException(key + ": '" + raw + "' is not PT0S (off) nor between " + min
          + " and " + max);
    }
    return value;
  }

  static Duration positiveDuration(String key, String raw) {
    Duration value = duration(key, raw);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException(key + ": '" + raw + "' must be longer than zero");
    }
    return value;
  }

  static Duration nonNegativeDuration(String key, String raw) {
    Duration value = duration(key, raw);
    if (value.isNegative()) {
      throw new ConfigException(key + ": '" + raw + "' must not be negative");
    }
    return value;
  }

  private static Duration duration(String key, String raw) {
    try {
      return Duration.parse(raw);
    } catch (DateTimeParseException e) {
      // java.time.Duration has no weeks, months or years; say so rather than just "invalid".
      throw new ConfigException(
          key + ": '" + raw + "' is not an ISO-8601 duration in days, hours, minutes or seconds"
              + " (e.g. PT30M, PT4H, P2D)");
    }
  }
}
