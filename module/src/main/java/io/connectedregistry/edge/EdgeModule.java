package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.sdk.iot.device.ConnectionStatusChangeContext;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.edge.HttpsHsmTrustBundleProvider;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodPayload;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.GcReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry as an Azure IoT Edge module: configuration from the module twin's desired
 * properties, acknowledgements and the status in its reported properties, direct methods. The
 * only door into this package, and the only code that touches the IoT device SDK.
 *
 * <p>Runs only inside IoT Edge ({@link #startIfPresent}); everything happens on one daemon thread
 * of its own, so a missing or slow edgeHub never delays the registry or a pull. edgeHub may start
 * after the module: the connection is retried for ever, with backoff. On every connection the
 * module subscribes to desired properties and methods first and then reads the whole twin, so a
 * patch sent meanwhile is never missed, and the whole desired document is applied again (patches
 * missed while offline are not lost).
 */
public final class EdgeModule implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeModule.class);
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }
  /** The workload API version the SDK speaks. */
  private static final String WORKLOAD_API_VERSION = "2018-06-28";
  /** Tuning, for tests and unusual hubs: at most one status patch per this (ISO-8601). */
  static final String STATUS_INTERVAL_VARIABLE = "REGISTRY_EDGE_STATUS_INTERVAL";
  private static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(5);
  /**
   * Per call: getTwin and updateReportedProperties may lose their answer and wait out the whole
   * timeout (Azure/azure-iot-sdk-java#1803); both are safe to repeat, so wait little and repeat.
   */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /**
   * What the module drives in the registry.
   *
   * @param freshStatus the status with live figures (may block briefly; never on an event loop)
   * @param syncNow starts a sync cycle; null for a registry without a parent
   * @param garbageCollect runs the garbage collector (blocking)
   */
  public record Parts(ConfigControl config, StatusBoard board, Supplier<RegistryStatus> freshStatus,
      Runnable syncNow, Callable<GcReport> garbageCollect) {}

  private final EdgeEnvironment environment;
  private final Parts parts;
  private final ScheduledExecutorService thread;
  private final TwinConfiguration twin;
  private final DirectMethods methods;
  private final ReportedPatches reported;
  private final StatusBoard.Listener statusListener;
  private volatile ModuleClient client;
  private volatile boolean closed;
  private int attempts;
  /** Set when the SDK reports a lost connection: the next CONNECTED reads the twin again. */
  private boolean reconnecting;

  private EdgeModule(EdgeEnvironment environment, Parts parts, Duration statusInterval) {
    this.environment = environment;
    this.parts = parts;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "iotedge-module");
      t.setDaemon(true);
      return t;
    });
    this.twin = new TwinConfiguration(parts.config());
    this.methods = new DirectMethods(parts);
    this.reported = new ReportedPatches(thread, this::sendReported, statusInterval, Duration.ofSeconds(2),
        System::nanoTime);
    this.statusListener = (before, after) -> reported.offer(TwinConfiguration.STATUS, StatusReport.of(after));
  }

  /**
   * Starts the module when the IoT Edge environment is present ({@code IOTEDGE_WORKLOADURI} and
   * the identity variables, or {@code EdgeHubConnectionString}); returns at once. Empty outside
   * IoT Edge: then nothing here runs.
   */
  public static Optional<EdgeModule> startIfPresent(Map<String, String> env, Parts parts) {
    List<String> missing = new ArrayList<>();
    Optional<EdgeEnvironment> found = EdgeEnvironment.detect(env, missing);
    if (found.isEmpty()) {
      if (!missing.isEmpty()) {
        LOG.warn("IoT Edge environment incomplete, module twin and methods off: {} not set", missing);
      }
      return Optional.empty();
    }
    Duration interval = DEFAULT_STATUS_INTERVAL;
    String configured = env.get(STATUS_INTERVAL_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      try {
        interval = Duration.parse(configured);
      } catch (DateTimeParseException e) {
        LOG.warn("{}: '{}' is not an ISO-8601 duration; using {}", STATUS_INTERVAL_VARIABLE, configured, interval);
      }
    }
    EdgeModule module = new EdgeModule(found.get(), parts, interval);
    module.start();
    return Optional.of(module);
  }

  /**
   * Nested IoT Edge: the edge CA's certificates from the workload API ({@code /trust-bundle}),
   * written to a file, for TLS to a parent at {@code $upstream}. Empty at the top layer, outside
   * IoT Edge, in the connection-string form ({@code EdgeModuleCACertificateFile} is read by the
   * configuration) and when the workload API does not answer within a few seconds (logged; the
   * parent then needs {@code parent.caBundle}).
   */
  public static Optional<Path> upstreamTrustBundle(Map<String, String> env) {
    Optional<EdgeEnvironment> found = EdgeEnvironment.detect(env, new ArrayList<>());
    if (found.isEmpty() || found.get().parentHostname() == null || found.get().connectionString()
        || found.get().caCertificateFile() != null) {
      return Optional.empty();
    }
    EdgeEnvironment edge = found.get();
    ExecutorService fetch = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "iotedge-trust-bundle");
      t.setDaemon(true);
      return t;
    });
    WorkloadSocket socket = new WorkloadSocket();
    try {
      Future<String> pem = fetch.submit(() -> new HttpsHsmTrustBundleProvider()
          .getTrustBundleCerts(edge.workloadUri(), WORKLOAD_API_VERSION, edge.unixSocket() ? socket : null));
      Path file = Files.createTempFile("edge-trust-bundle", ".pem");
      file.toFile().deleteOnExit();
      Files.writeString(file, pem.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
      LOG.info("parent at $upstream: trusting the edge CA from the workload API's trust bundle");
      return Optional.of(file);
    } catch (Exception e) {
      LOG.warn("could not read the edge CA from the workload API ({}); a parent at $upstream needs"
          + " parent.caBundle", e.toString());
      return Optional.empty();
    } finally {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
      fetch.shutdownNow();
    }
  }

  private void start() {
    LOG.info("IoT Edge module: connecting to edgeHub ({})", environment.describe());
    parts.board().subscribe(statusListener);
    // The parent's definition can take a key from the twin (or give it back) with no twin change.
    parts.config().onChange(this::configurationChanged);
    reported.offer(TwinConfiguration.STATUS, StatusReport.of(parts.board().current()));
    thread.execute(this::connect);
  }

  private void configurationChanged() {
    if (closed) {
      return;
    }
    try {
      thread.execute(() -> reported.offerNow(twin.reconsider()));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: the acknowledgements no longer matter
    }
  }

  /** One attempt to open a client, subscribe and read the twin; on failure the next, later. */
  private void connect() {
    if (closed) {
      return;
    }
    ModuleClient c = null;
    try {
      c = ModuleClient.createFromEnvironment(environment.unixSocket() ? new WorkloadSocket() : null,
          IotHubClientProtocol.MQTT);
      c.setConnectionStatusChangeCallback(this::onConnectionStatus, c);
      c.open(false);
      client = c;
      subscribeAndRead(c);
      attempts = 0;
      LOG.info("IoT Edge module: connected; module twin read, direct methods ready");
    } catch (Exception e) {
      client = null;
      closeQuietly(c);
      if (closed) {
        return;
      }
      long backoff = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(attempts++, 5));
      LOG.warn("IoT Edge module: edgeHub not reachable ({}); retrying in {} s", e.toString(), backoff / 1000);
      thread.schedule(this::connect, backoff, TimeUnit.MILLISECONDS);
    }
  }

  /** Subscribe first, then read: a patch sent between the two is then never missed. */
  private void subscribeAndRead(ModuleClient c) throws Exception {
    int timeout = (int) CALL_TIMEOUT.toMillis();
    c.subscribeToDesiredProperties((patch, context) -> onDesiredPatch(patch), null, timeout);
    c.subscribeToMethods((name, payload, context) -> onMethod(name, payload), null, timeout);
    readTwin(c);
    // Whatever the twin holds (it may have been reset meanwhile), the status goes with the acks.
    reported.offerNow(Map.of(TwinConfiguration.STATUS, StatusReport.of(parts.board().current())));
    reported.connected(true);
  }

  private void readTwin(ModuleClient c) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 3 && !closed; attempt++) {
      try {
        Twin whole = c.getTwin((int) CALL_TIMEOUT.toMillis());
        TwinCollection desired = whole.getDesiredProperties();
        long version = desired == null || desired.getVersion() == null ? 0 : desired.getVersion();
        TwinConfiguration.Result result = twin.readWhole(desired == null ? null : Mapper.JSON.valueToTree(desired), version);
        reported.offerNow(result.reported());
        return;
      } catch (Exception e) {
        last = e;
        LOG.warn("reading the module twin failed ({}), trying again", e.toString());
      }
    }
    throw last != null ? last : new IllegalStateException("closed");
  }

  private void onDesiredPatch(Twin patch) {
    TwinCollection desired = patch.getDesiredProperties();
    if (desired == null || closed) {
      return;
    }
    JsonNode document = Mapper.JSON.valueToTree(desired);
    Integer version = desired.getVersion();
    thread.execute(() -> {
      if (version == null) {
        rereadTwin("a desired patch without $version");
        return;
      }
      TwinConfiguration.Result result = twin.patch(document, version);
      reported.offerNow(result.reported());
      if (result.readTwinAgain()) {
        rereadTwin("desired version " + version + " came after a gap");
      }
    });
  }

  private void rereadTwin(String why) {
    ModuleClient c = client;
    if (c == null || closed) {
      return;
    }
    LOG.info("reading the whole module twin again: {}", why);
    try {
      readTwin(c);
    } catch (Exception e) {
      LOG.warn("reading the module twin failed ({}); trying again at the next connection", e.toString());
    }
  }

  private DirectMethodResponse onMethod(String name, DirectMethodPayload payload) {
    JsonNode body;
    try {
      String text = payload == null ? null : payload.getPayloadAsJsonString();
      body = text == null || text.isBlank() ? null : Mapper.JSON.readTree(text);
    } catch (IOException e) {
      return new DirectMethodResponse(400, Map.of("code", "BadPayload", "message", "the payload is not JSON"));
    }
    DirectMethods.Answer answer = methods.invoke(name, body);
    LOG.info("direct method {} answered {}", name, answer.status());
    return new DirectMethodResponse(answer.status(), answer.payload());
  }

  private void onConnectionStatus(ConnectionStatusChangeContext change) {
    IotHubConnectionStatus status = change.getNewStatus();
    Object source = change.getCallbackContext();
    LOG.info("IoT Edge module: connection {} ({})", status, change.getNewStatusReason());
    if (closed) {
      return; // our own close() (CLIENT_CLOSE): nothing to do, and the thread is gone
    }
    thread.execute(() -> {
      if (closed || source != client) {
        return; // a client being opened (connect() handles it) or one already replaced
      }
      switch (status) {
        case DISCONNECTED_RETRYING -> {
          reconnecting = true;
          reported.connected(false);
        }
        case CONNECTED -> {
          if (reconnecting) {
            reconnecting = false;
            try {
              // The SDK reconnected by itself: subscribe again (edgeHub may have lost the session)
              // and reconcile with the whole twin.
              subscribeAndRead(client);
            } catch (Exception e) {
              LOG.warn("after reconnecting, the module twin could not be read ({}); reconnecting", e.toString());
              restart();
            }
          }
        }
        case DISCONNECTED -> restart(); // the SDK gave up: a new client, with our own backoff
      }
    });
  }

  /** Replaces the client (on the module thread). */
  private void restart() {
    ModuleClient old = client;
    client = null;
    reconnecting = false;
    reported.connected(false);
    closeQuietly(old);
    if (!closed) {
      thread.schedule(this::connect, 1, TimeUnit.SECONDS);
    }
  }

  private void sendReported(Map<String, Object> patch) throws Exception {
    ModuleClient c = client;
    if (c == null) {
      throw new IllegalStateException("not connected");
    }
    TwinCollection collection = new TwinCollection();
    patch.forEach(collection::put);
    c.updateReportedProperties(collection, (int) CALL_TIMEOUT.toMillis());
  }

  /** Stops the module and closes the SDK client (its threads would keep the JVM alive). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    parts.board().unsubscribe(statusListener);
    // The registry said Inactive just before: let the twin know, briefly.
    reported.offer(TwinConfiguration.STATUS, StatusReport.of(parts.board().current()));
    reported.drain(Duration.ofSeconds(3));
    closed = true;
    thread.shutdownNow();
    ModuleClient c = client;
    client = null;
    if (c != null) {
      // Bounded: a close stuck on a dead connection must not hold up the registry's shutdown.
      Thread closer = new Thread(() -> closeQuietly(c), "iotedge-module-close");
      closer.setDaemon(true);
      closer.start();
      try {
        closer.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    LOG.info("IoT Edge module: closed");
  }

  private static void closeQuietly(ModuleClient c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (RuntimeException e) {
      LOG.debug("closing the module client: {}", e.toString());
    }
  }
}
