package io.connectedregistry.control;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A connected registry as the root defines it: what the instance started with its connection
 * string syncs and how, plus the fields only the instance reports ({@link Reported}). Immutable and
 * valid once constructed; changes make a new one ({@code with...}).
 *
 * @param parent the parent connected registry's name; null when the parent is the root itself
 * @param repositories its sync scope: repository names and wildcards ({@code app/*}, {@code *})
 * @param clientTokens names of the tokens the instance accepts from its clients (at most 20)
 * @param generation bumped by every change of the definition or of a descendant's (not of
 *     {@link Reported}): the version an instance compares (its ETag), covering what it fetches
 *     from its parent, its own definition and its descendants'; only ever grows
 */
public record ConnectedRegistryDefinition(
    String name,
    Mode mode,
    String parent,
    List<RepositoryPattern> repositories,
    List<String> clientTokens,
    Sync sync,
    LogLevel logLevel,
    GarbageCollection garbageCollection,
    Reported reported,
    Instant created,
    long generation) {

  /** ACR's rule: 5 to 50 lowercase letters and digits, starting with a letter. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{4,49}");
  public static final String SYNC_TOKEN_SUFFIX = "-sync-token";
  public static final String SYNC_SCOPE_MAP_SUFFIX = "-sync-scope-map";

  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  public ConnectedRegistryDefinition {
    checkName("name", name);
    Objects.requireNonNull(mode, "mode");
    if (parent != null) {
      checkName("parent", parent);
      if (parent.equals(name)) {
        throw new IllegalArgumentException("connected registry '" + name
            + "' cannot be its own parent");
      }
    }
    repositories = List.copyOf(repositories);
    Set<String> seen = new HashSet<>();
    for (RepositoryPattern r : repositories) {
      if (!seen.add(r.value())) {
        throw new IllegalArgumentException("repository '" + r + "' is listed twice for connected"
            + " registry '" + name + "'");
      }
      if (r.value().startsWith("gateway/")) {
        throw new IllegalArgumentException("repository '" + r + "' of connected registry '" + name
            + "': gateway/ names connected registries in scope maps, not repositories");
      }
    }
    clientTokens = List.copyOf(clientTokens);
    if (new HashSet<>(clientTokens).size() != clientTokens.size()) {
      throw new IllegalArgumentException("a client token is listed twice for connected registry '"
          + name + "': " + clientTokens);
    }
    Objects.requireNonNull(sync, "sync");
    Objects.requireNonNull(logLevel, "logLevel");
    Objects.requireNonNull(garbageCollection, "garbageCollection");
    Objects.requireNonNull(reported, "reported");
    Objects.requireNonNull(created, "created");
  }

  /** A new definition with the defaults for what is not given: Inactive, Offline, nothing reported. */
  public static ConnectedRegistryDefinition create(String name, Mode mode, String parent,
      List<RepositoryPattern> repositories, List<String> clientTokens, Sync sync,
      LogLevel logLevel, GarbageCollection gc, Instant now) {
    return new ConnectedRegistryDefinition(name, mode == null ? Mode.ReadOnly : mode, parent,
        repositories, clientTokens, sync == null ? Sync.DEFAULTS : sync,
        logLevel == null ? LogLevel.Information : logLevel,
        gc == null ? GarbageCollection.DEFAULTS : gc, Reported.NONE, now, 1);
  }

  public String syncTokenName() {
    return name + SYNC_TOKEN_SUFFIX;
  }

  public String syncScopeMapName() {
    return name + SYNC_SCOPE_MAP_SUFFIX;
  }

  public ConnectedRegistryDefinition withRepositories(List<RepositoryPattern> value) {
    return new ConnectedRegistryDefinition(name, mode, parent, value, clientTokens, sync, logLevel,
        garbageCollection, reported, created, generation + 1);
  }

  public ConnectedRegistryDefinition withClientTokens(List<String> value) {
    return new ConnectedRegistryDefinition(name, mode, parent, repositories, value, sync, logLevel,
        garbageCollection, reported, created, generation + 1);
  }

  public ConnectedRegistryDefinition withSettings(Sync newSync, LogLevel newLogLevel,
      GarbageCollection newGc) {
    return new ConnectedRegistryDefinition(name, mode, parent, repositories, clientTokens, newSync,
        newLogLevel, newGc, reported, created, generation + 1);
  }

  /** Activation is set by the root (deactivate) and by the instance; a change is a new generation. */
  public ConnectedRegistryDefinition withActivation(Activation activation) {
    return new ConnectedRegistryDefinition(name, mode, parent, repositories, clientTokens, sync,
        logLevel, garbageCollection, reported.withActivation(activation), created, generation + 1);
  }

  /** The same definition under a new generation: something in its subtree changed. */
  public ConnectedRegistryDefinition touched() {
    return new ConnectedRegistryDefinition(name, mode, parent, repositories, clientTokens, sync,
        logLevel, garbageCollection, reported, created, generation + 1);
  }

  /** What the instance reported; the definition's generation stays. */
  public ConnectedRegistryDefinition withReported(Reported value) {
    return new ConnectedRegistryDefinition(name, mode, parent, repositories, clientTokens, sync,
        logLevel, garbageCollection, value, created, generation);
  }

  static String checkName(String what, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException("invalid connected registry " + what + " '" + value
          + "': use 5 to 50 lowercase letters and digits, starting with a letter");
    }
    return value;
  }

  /** A five-field UNIX cron expression, read by the same parser as {@code sync.schedule}. */
  static String cron(String key, String value) {
    try {
      CRON.parse(Objects.requireNonNull(value, key)).validate();
      return value;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": '" + value + "' is not a cron expression (five"
          + " fields: minute hour day-of-month month day-of-week, e.g. '* * * * *' or"
          + " '0 2 * * *')");
    }
  }

  /** An ISO-8601 duration within [min, max], as {@code sync.window} and {@code sync.messageTtl}. */
  static Duration duration(String key, String value) {
    try {
      return Duration.parse(value);
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException(key + ": '" + value + "' is not an ISO-8601 duration"
          + " (e.g. PT1H, P2D)");
    }
  }

  private static void within(String key, Duration d, Duration min, Duration max) {
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(key + ": '" + d + "' is not between " + min + " and "
          + max);
    }
  }

  /**
   * @param schedule when sync cycles start (cron, UTC)
   * @param window how long each stays open; null = until done
   * @param messageTtl how long an upstream message is retried before it is reported as expired
   */
  public record Sync(String schedule, Duration window, Duration messageTtl) {
    public static final Sync DEFAULTS = new Sync("* * * * *", null, Duration.ofDays(2));

    public Sync {
      cron("sync schedule", schedule);
      if (window != null) {
        within("sync window", window, Duration.ofHours(1), Duration.ofDays(7));
      }
      within("sync messageTtl", Objects.requireNonNull(messageTtl, "messageTtl"),
          Duration.ofDays(1), Duration.ofDays(90));
    }
  }

  /**
   * ACR's defaults: on, daily at midnight UTC. The instance applies them as its
   * {@code storage.gcEnabled} and {@code storage.gcSchedule} (owned by the definition).
   */
  public record GarbageCollection(boolean enabled, String schedule) {
    public static final GarbageCollection DEFAULTS = new GarbageCollection(true, "0 0 * * *");

    public GarbageCollection {
      cron("garbage collection schedule", schedule);
    }
  }

  /**
   * What the instance reports (read-only to the operator). Activation is also what {@code
   * deactivate} sets.
   *
   * @param loginServer the address the instance advertises (HOST[:PORT]), the default parent
   *     endpoint of its children's connection strings; null until reported
   */
  public record Reported(Activation activation, ConnectionState connectionState,
      Instant lastActivityTime, Instant lastSyncTime, String version,
      List<StatusDetail> statusDetails, String loginServer, long upstreamPending,
      long upstreamExpired) {

    public static final Reported NONE = new Reported(Activation.Inactive, ConnectionState.Offline,
        null, null, null, List.of(), null);

    public Reported {
      Objects.requireNonNull(activation, "activation");
      Objects.requireNonNull(connectionState, "connectionState");
      statusDetails = List.copyOf(statusDetails);
    }

    /** Nothing in the upstream queue. */
    public Reported(Activation activation, ConnectionState connectionState,
        Instant lastActivityTime, Instant lastSyncTime, String version,
        List<StatusDetail> statusDetails, String loginServer) {
      this(activation, connectionState, lastActivityTime, lastSyncTime, version, statusDetails,
          loginServer, 0, 0);
    }

    public Reported withActivation(Activation value) {
      return new Reported(value, connectionState, lastActivityTime, lastSyncTime, version,
          statusDetails, loginServer, upstreamPending, upstreamExpired);
    }

    public Reported withConnectionState(ConnectionState value) {
      return new Reported(activation, value, lastActivityTime, lastSyncTime, version,
          statusDetails, loginServer, upstreamPending, upstreamExpired);
    }
  }

  /** One entry of statusDetails, ACR's shape. */
  public record StatusDetail(String type, String code, String description, Instant timestamp,
      String correlationId) {
    public StatusDetail {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(timestamp, "timestamp");
    }
  }
}
