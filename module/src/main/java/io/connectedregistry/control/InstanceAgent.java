package io.connectedregistry.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.ParentMirror;
import io.connectedregistry.cli.ManifestVersion;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.control.ConnectedRegistryDefinition.StatusDetail;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.AtomicFile;
import io.connectedregistry.sync.ParentCaller;
import io.connectedregistry.sync.ParentPolicy;
import io.connectedregistry.sync.ParentUnavailableException;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance side of a connected registry: what it does with its parent's control plane. One
 * entry point, {@link #start()}, started by the application when the registry has a parent.
 *
 * <ol>
 *   <li><b>Activation</b> under a persistent instance id ({@code DATA/instance-id}). Refused
 *       (another instance is Active, or this one was deactivated): Inactive on the status board,
 *       a log line with "activation", sync held, retried at each contact.
 *   <li><b>Definition</b>, fetched with its ETag at each contact and applied as the parent
 *       definition layer of the live configuration (mode, logLevel, sync.*, storage.gc*); kept in
 *       {@code DATA/parent-definition.json} so a restart while the parent is down applies it.
 *   <li><b>Tokens</b>: client tokens (hashes) and descendants' sync tokens, installed whole into
 *       {@code auth.db} ({@link ParentMirror}) and kept in {@code DATA/parent-tokens.json} (0600).
 *   <li><b>Deactivation</b>: a definition saying Inactive holds sync; content is still served.
 *   <li><b>Status</b> up: after a change on the board (at most every 5 s) and at each contact.
 *   <li><b>Relay</b> for its own children ({@link #relay()}).
 * </ol>
 *
 * A parent without the control plane (404, e.g. a plain OCI registry): logged once, the agent
 * stops, and the registry works as before (sync from its own configuration).
 *
 * <p>Contacts happen every minute, or every {@code CONNECTED_REGISTRY_CONTACT_INTERVAL} (ISO-8601
 * duration, environment; a test knob). Everything runs on the agent's own context; files and
 * SQLite on the worker.
 */
public final class InstanceAgent {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceAgent.class);
  public static final String CONTACT_INTERVAL_VARIABLE = "CONNECTED_REGISTRY_CONTACT_INTERVAL";
  static final String INSTANCE_ID_FILE = "instance-id";
  static final String DEFINITION_FILE = "parent-definition.json";
  static final String TOKENS_FILE = "parent-tokens.json";
  private static final Duration REPORT_DELAY = Duration.ofSeconds(5);
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  private final Vertx vertx;
  private final Context context;
  private final WorkerExecutor worker;
  private final Path data;
  private final String name;
  private final String parentAddress;
  private final AuthStore store;
  private final StatusBoard board;
  private final SyncService sync;
  private final Consumer<JsonNode> applyDefinition;
  private final Runnable authChanged;
  private final Supplier<String> loginServer;
  private final Clock clock;
  private final Duration interval;
  private final ParentControl parent;
  private final RelayControlPlane relay;

  private String instanceId;
  /** The last definition and tokens documents with their ETags; null until fetched or loaded. */
  volatile ParentControl.Fetched definition;
  volatile ParentControl.Fetched tokens;
  private boolean activated;
  private boolean stopped;
  private String refusal;
  private boolean lostControlPlane;
  private long contactTimer = -1;
  private long reportTimer = -1;
  private ControlRequests.Report lastReport;

  /**
   * @param applyDefinition sets the live configuration's parent-definition layer; blocking (it
   *     rereads the configuration file), called on the worker
   * @param authChanged drops the login caches after tokens were installed; blocking
   * @param loginServer the configured loginServer, read at each report (it can change live)
   */
  public InstanceAgent(Vertx vertx, RegistryConfig config, AuthStore store, StatusBoard board,
      WorkerExecutor worker, SyncService sync, Consumer<JsonNode> applyDefinition,
      Runnable authChanged, Supplier<String> loginServer, Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.worker = worker;
    this.data = config.data();
    this.name = config.parent().registryName();
    this.parentAddress = config.parent().protocol() + "://" + config.parent().endpoint();
    this.store = store;
    this.board = board;
    this.sync = sync;
    this.applyDefinition = applyDefinition;
    this.authChanged = authChanged;
    this.loginServer = loginServer;
    this.clock = clock;
    this.interval = contactInterval();
    this.parent = new ParentControl(new ParentCaller(vertx, SyncService.endpoint(config.parent()),
        ParentPolicy.defaults()));
    this.relay = new RelayControlPlane(this, parent);
  }

  /** Whether an instance with this configuration has an agent: a parent and a registry name. */
  public static boolean applies(RegistryConfig config) {
    return config.parent() != null && config.parent().registryName() != null;
  }

  /** What this registry serves its own children (from its replica, relaying writes upward). */
  public ControlPlane relay() {
    return relay;
  }

  String name() {
    return name;
  }

  private static Duration contactInterval() {
    String knob = System.getenv(CONTACT_INTERVAL_VARIABLE);
    if (knob != null && !knob.isBlank()) {
      try {
        Duration d = Duration.parse(knob.strip());
        if (!d.isNegative() && !d.isZero() && d.compareTo(Duration.ofMinutes(1)) <= 0) {
          return d;
        }
      } catch (RuntimeException e) {
        // fall back to the minute
      }
      LOG.warn("{} must be an ISO-8601 duration up to PT1M; using one minute",
          CONTACT_INTERVAL_VARIABLE);
    }
    return Duration.ofMinutes(1);
  }

  /**
   * Sync is held until the parent accepts the activation (or says it has no control plane, or
   * the kept definition says this instance was active when the parent cannot be reached).
   */
  public void start() {
    sync.hold("waiting for the parent to accept the activation of connected registry '" + name
        + "'");
    worker.executeBlocking(() -> {
      instanceId = loadInstanceId(data);
      definition = load(data.resolve(DEFINITION_FILE));
      tokens = load(data.resolve(TOKENS_FILE));
      if (definition != null) {
        applyDefinition.accept(configDocument(definition.document()));
      }
      return null;
    }, false).onComplete(loaded -> context.runOnContext(v -> {
      if (loaded.failed()) {
        LOG.error("connected registry '{}': cannot read what the data folder keeps of the parent's"
            + " definition: {}", name, loaded.cause().toString());
      }
      board.subscribe((before, after) -> context.runOnContext(x -> reportSoon()));
      contact();
    }));
  }

  public void stop() {
    context.runOnContext(v -> {
      stopped = true;
      vertx.cancelTimer(contactTimer);
      vertx.cancelTimer(reportTimer);
      parent.caller().close();
    });
  }

  /** One contact with the parent: activation (until accepted), definition, tokens, relay, status. */
  private void contact() {
    if (stopped) {
      return;
    }
    Future<Void> activation = activated ? Future.succeededFuture() : activate();
    // The relay's writes go up before the definition is fetched, so the fetched replica already
    // holds the root's answers to them.
    activation
        .compose(v -> relay.flush().recover(e -> Future.succeededFuture())) // retried next time
        .compose(v -> fetchDefinition())
        .compose(v -> fetchTokens())
        .compose(v -> report())
        .onComplete(done -> {
          if (done.succeeded()) {
            lostControlPlane = false;
          }
          if (done.failed()) {
            Throwable e = done.cause();
            if (e instanceof ParentControl.NotServed && definition != null) {
              // It had a definition from this parent: deleted at the root, or its token revoked.
              // Stay as the last definition said (held if deactivated) and keep asking.
              if (!lostControlPlane) {
                lostControlPlane = true;
                LOG.warn("connected registry '{}': the parent {} no longer answers its control"
                    + " plane ({}); the last definition stays in effect", name, parentAddress,
                    e.getMessage());
              }
            } else if (e instanceof ParentControl.NotServed) {
              LOG.info("connected registry '{}': the parent {} serves no connected-registry"
                  + " control plane to it ({}): no activation, definition or tokens from it;"
                  + " syncing from this registry's own configuration", name, parentAddress,
                  e.getMessage());
              board.update(s -> s.withActivation(Activation.Active));
              sync.release();
              stopped = true;
              return;
            } else if (e instanceof ParentUnavailableException) {
              LOG.debug("connected registry '{}': parent unreachable: {}", name, e.getMessage());
              if (!activated && keptDefinitionSaysActive()) {
                // A restart while the parent is down: carry on as the kept definition says.
                board.update(s -> s.withActivation(Activation.Active));
                sync.release();
              }
            } else if (!(e instanceof ControlException)) {
              LOG.warn("connected registry '{}': contact with the parent {} failed: {}", name,
                  parentAddress, e.toString());
            }
          }
          contactTimer = vertx.setTimer(interval.toMillis(), id -> contact());
        });
  }

  private Future<Void> activate() {
    ControlRequests.Activate request = new ControlRequests.Activate(instanceId,
        version(), loginServer.get());
    return parent.activate(name, request).transform(result -> {
      if (result.succeeded()) {
        activated = true;
        refusal = null;
        LOG.info("connected registry '{}': activation accepted by {} (instance {})", name,
            parentAddress, instanceId);
        return Future.succeededFuture();
      }
      if (result.cause() instanceof ControlException refused) {
        if (!refused.getMessage().equals(refusal)) {
          LOG.warn("connected registry '{}': activation refused by {}: {}; sync stays off, retried"
              + " every {} s", name, parentAddress, refused.getMessage(), interval.toSeconds());
        }
        refusal = refused.getMessage();
        board.update(s -> s.withActivation(Activation.Inactive));
        sync.hold("activation refused: " + refused.getMessage());
      }
      return Future.failedFuture(result.cause());
    });
  }

  private Future<Void> fetchDefinition() {
    ParentControl.Fetched known = definition;
    return parent.fetch(name, "definition", known == null ? null : known.etag())
        .compose(fetched -> {
          if (fetched.isEmpty()) {
            return Future.succeededFuture();
          }
          ParentControl.Fetched got = fetched.get();
          JsonNode config = configDocument(got.document()); // checks the shape before anything
          return worker.executeBlocking(() -> {
            save(data.resolve(DEFINITION_FILE), got, false);
            applyDefinition.accept(config);
            return null;
          }, false).map(v -> {
            definition = got;
            LOG.info("connected registry '{}': definition version {} applied", name,
                got.document().getValue("definitionVersion"));
            return (Void) null;
          });
        })
        .onSuccess(v -> followActivation());
  }

  /** The definition says whether this instance may sync: Inactive after {@code cr deactivate}. */
  private void followActivation() {
    ParentControl.Fetched d = definition;
    if (d == null) {
      return;
    }
    if (keptDefinitionSaysActive()) {
      board.update(s -> s.withActivation(Activation.Active));
      sync.release();
    } else {
      String refusedAbove = registry(d.document()).getString("activationRefused");
      if (refusedAbove != null) {
        if (activated) {
          LOG.warn("connected registry '{}': the activation its parent accepted while the root"
              + " was unreachable was refused by the root: {}; sync stops, local content is still"
              + " served", name, refusedAbove);
        }
      } else if (board.current().activation() == Activation.Active || activated) {
        LOG.warn("connected registry '{}': deactivated at the root; sync stops, local content"
            + " is still served", name);
      }
      activated = false; // a later activation attempt says why (deactivated) and retries
      board.update(s -> s.withActivation(Activation.Inactive));
      sync.hold("deactivated at the root");
    }
  }

  private boolean keptDefinitionSaysActive() {
    ParentControl.Fetched d = definition;
    return d != null && "Active".equals(registry(d.document()).getString("activation"));
  }

  private Future<Void> fetchTokens() {
    ParentControl.Fetched known = tokens;
    return parent.fetch(name, "tokens", known == null ? null : known.etag()).compose(fetched -> {
      if (fetched.isEmpty()) {
        return Future.succeededFuture();
      }
      ParentControl.Fetched got = fetched.get();
      ParentMirror.Contents contents = TokenDocument.contents(got.document(), name, parentAddress);
      return worker.executeBlocking(() -> {
        ParentMirror.install(store, contents, clock);
        save(data.resolve(TOKENS_FILE), got, true);
        authChanged.run();
        return null;
      }, false).map(v -> {
        tokens = got;
        LOG.info("connected registry '{}': {} token(s) from the parent installed", name,
            contents.tokens().size());
        return (Void) null;
      });
    });
  }

  private void reportSoon() {
    if (stopped || reportTimer >= 0 || !activated) {
      return;
    }
    reportTimer = vertx.setTimer(REPORT_DELAY.toMillis(), id -> {
      reportTimer = -1;
      ControlRequests.Report now = currentReport();
      if (!now.equals(lastReport)) {
        report();
      }
    });
  }

  private Future<Void> report() {
    if (!activated) {
      return Future.succeededFuture();
    }
    ControlRequests.Report report = currentReport();
    return parent.report(name, report).onSuccess(v -> lastReport = report);
  }

  private ControlRequests.Report currentReport() {
    RegistryStatus s = board.current();
    Instant lastSync = null;
    if (s.sync() != null && s.sync().lastSuccessfulSyncEndTime() != null) {
      try {
        lastSync = Instant.parse(s.sync().lastSuccessfulSyncEndTime());
      } catch (RuntimeException e) {
        // not reported
      }
    }
    List<StatusDetail> details = List.of();
    RegistryStatus.StatusDetails d = s.statusDetails();
    if (d != null && d.type() != null && d.code() != null) {
      Instant at = Instant.EPOCH;
      try {
        at = Instant.parse(d.timestamp());
      } catch (RuntimeException e) {
        // keep the epoch
      }
      String description = d.description() == null ? null
          : d.description().length() > 1000 ? d.description().substring(0, 1000)
          : d.description();
      details = List.of(new StatusDetail(d.type(), d.code(), description, at, d.correlationId()));
    }
    return new ControlRequests.Report(
        s.connectionState() == null ? ConnectionState.Offline : s.connectionState(),
        s.activation(), lastSync, s.upstreamQueue().pending(), s.upstreamQueue().expired(),
        details, version(), loginServer.get(), instanceId);
  }

  private static String version() {
    String v = ManifestVersion.get();
    return v == null || !v.matches("[A-Za-z0-9._+-]{1,64}") ? null : v;
  }

  // ---- the definition as configuration ----

  static JsonObject registry(JsonObject document) {
    JsonObject r = document.getJsonObject("registry");
    if (r == null) {
      throw new IllegalArgumentException("the definition document has no 'registry'");
    }
    return r;
  }

  /**
   * The keys a parent's definition owns ({@code ConfigLayers.PARENT_OWNED}), as a configuration
   * document: mode, logLevel, sync.repositories, sync.schedule, sync.window, sync.messageTtl,
   * and garbageCollection as storage.gcEnabled and storage.gcSchedule. Their values are checked by the configuration like any layer's.
   */
  static JsonNode configDocument(JsonObject document) {
    JsonObject r = registry(document);
    ObjectNode out = Mapper.JSON.createObjectNode();
    out.put("mode", r.getString("mode"));
    out.put("logLevel", r.getString("logLevel"));
    ObjectNode syncNode = out.putObject("sync");
    ArrayNode repositories = syncNode.putArray("repositories");
    r.getJsonArray("repositories").forEach(x -> repositories.add((String) x));
    JsonObject s = r.getJsonObject("sync");
    syncNode.put("schedule", s.getString("schedule"));
    if (s.getString("window") != null) {
      syncNode.put("window", s.getString("window"));
    }
    syncNode.put("messageTtl", s.getString("messageTtl"));
    JsonObject gc = r.getJsonObject("garbageCollection");
    if (gc != null) { // absent from a parent older than this field: the instance's own keys stay
      ObjectNode storage = out.putObject("storage");
      // As text when not a boolean: the configuration then refuses it, naming storage.gcEnabled.
      Object enabled = gc.getValue("enabled");
      if (enabled instanceof Boolean b) {
        storage.put("gcEnabled", b);
      } else if (enabled != null) {
        storage.put("gcEnabled", enabled.toString());
      }
      Object schedule = gc.getValue("schedule");
      if (schedule != null) {
        storage.put("gcSchedule", schedule.toString());
      }
    }
    return out;
  }

  // ---- files ----

  /** The instance id, created once (a random UUID) and written crash-safely. */
  static String loadInstanceId(Path data) throws IOException {
    Path file = data.resolve(INSTANCE_ID_FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (id.matches("[A-Za-z0-9-]{8,64}")) {
        return id;
      }
      LOG.warn("{} does not hold an instance id; a new one is made", file);
    }
    String id = UUID.randomUUID().toString();
    AtomicFile.write(file, (id + "\n").getBytes(StandardCharsets.UTF_8));
    return id;
  }

  private static ParentControl.Fetched load(Path file) {
    try {
      if (!Files.exists(file)) {
        return null;
      }
      JsonObject kept = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      return new ParentControl.Fetched(kept.getString("etag"), kept.getJsonObject("document"));
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} cannot be read ({}); it is fetched again from the parent", file, e.toString());
      return null;
    }
  }

  private static void save(Path file, ParentControl.Fetched fetched, boolean secret)
      throws IOException {
    byte[] bytes = new JsonObject().put("etag", fetched.etag())
        .put("document", fetched.document()).encode().getBytes(StandardCharsets.UTF_8);
    if (secret) {
      AtomicFile.writePrivate(file, bytes);
    } else {
      AtomicFile.write(file, bytes);
    }
  }
}
