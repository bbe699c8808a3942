package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A stand-in for IoT Edge's edgeHub and workload API, so the module (and its tests) run on one
 * machine without IoT Hub. See iotedge-dev/README.md.
 *
 * <pre>{@code
 * try (EdgeHubStandIn hub = EdgeHubStandIn.builder()
 *         .deviceId("edge-device").moduleId("registry")
 *         .certDir(tmp.resolve("certs"))
 *         .workloadSocket(tmp.resolve("workload.sock"))
 *         .start()) {
 *   hub.patchDesired("{\"logLevel\":\"Debug\"}");
 *   hub.awaitReported(r -> r.has("logLevel"), Duration.ofSeconds(20));
 * }
 * }</pre>
 *
 * The single-module methods ({@link #desired()}, {@link #patchDesired(String)}, ...) act on the
 * first module; {@link #module(String, String)} reaches the others.
 */
public final class EdgeHubStandIn implements AutoCloseable {

  /** The port the SDK always connects to for MQTT over TLS. */
  public static final int MQTT_PORT = 8883;

  public static final String DEFAULT_HUB = "standin-hub.azure-devices.net";
  public static final String DEFAULT_GATEWAY = "127.0.0.1";
  /** The workload API version the SDK 2.5.0 sends. */
  static final String WORKLOAD_API_VERSION = "2018-06-28";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final EdgeCa ca;
  private final Map<String, StandInModule> modules = new ConcurrentHashMap<>();
  private final List<StandInModule> inOrder = new ArrayList<>();
  private final MqttGateway gateway;
  private final WorkloadApi workload;
  private final Path workloadSocket;

  private EdgeHubStandIn(Builder b, EdgeCa ca) throws IOException {
    this.ca = ca;
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    this.gateway = new MqttGateway(vertx, modules, ca, b.mqttHost, MQTT_PORT);
    for (ModuleIdentity id : b.identities()) {
      StandInModule m = new StandInModule(id, gateway);
      if (modules.putIfAbsent(id.clientId(), m) != null) {
        throw new IllegalArgumentException("module " + id.clientId() + " is configured twice");
      }
      inOrder.add(m);
    }
    this.workloadSocket = b.workloadSocket;
    this.workload = b.workloadSocket == null ? null : new WorkloadApi(vertx, b.workloadSocket, inOrder, ca.caPem());
  }

  public static Builder builder() {
    return new Builder();
  }

  private EdgeHubStandIn startServers() throws IOException {
    try {
      await(gateway.start());
      if (workload != null) {
        await(workload.start());
      }
      return this;
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Drops every MQTT connection, stops listening, removes the workload socket. */
  @Override
  public void close() {
    try {
      Future<Void> w = workload == null ? Future.succeededFuture() : workload.close();
      await(Future.join(gateway.close(), w).mapEmpty());
    } catch (IOException | RuntimeException e) {
      // closing: nothing more to do than stop Vert.x below
    } finally {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Vert.x threads are daemons; nothing keeps the JVM alive
      }
    }
  }

  Vertx vertx() {
    return vertx;
  }

  MqttGateway gateway() {
    return gateway;
  }

  // --- modules ---

  /** The first (default) module. */
  public StandInModule module() {
    return inOrder.get(0);
  }

  public StandInModule module(String deviceId, String moduleId) {
    StandInModule m = modules.get(deviceId + "/" + moduleId);
    if (m == null) {
      throw new IllegalArgumentException("no module " + deviceId + "/" + moduleId + " on this stand-in");
    }
    return m;
  }

  public Collection<StandInModule> modules() {
    return List.copyOf(inOrder);
  }

  // --- the first module's twin and methods ---

  public ObjectNode desired() {
    return module().desired();
  }

  public ObjectNode reported() {
    return module().reported();
  }

  public long patchDesired(String jsonObject) {
    return module().patchDesired(jsonObject);
  }

  public MethodResult invokeMethod(String name, String jsonPayload, Duration timeout) throws InterruptedException {
    return module().invokeMethod(name, jsonPayload, timeout);
  }

  public ObjectNode awaitReported(Predicate<JsonNode> condition, Duration timeout) throws InterruptedException {
    return module().awaitReported(condition, timeout);
  }

  // --- faults ---

  /** Closes every module's MQTT connection now (the modules' SDKs reconnect). */
  public void dropConnections() {
    gateway.dropConnections();
  }

  /** While true, new MQTT connections are refused ("server unavailable"), as an edgeHub that is down. */
  public void refuseConnections(boolean refuse) {
    gateway.refuse(refuse);
  }

  /**
   * The next response to this twin request is lost (a reported patch is still applied), as the SDK
   * sees with Azure/azure-iot-sdk-java#1803. Call it n times to lose n responses.
   */
  public void loseNextResponse(TwinOperation operation) {
    gateway.loseNextResponse(operation);
  }

  public int connectionCount() {
    return gateway.connectionCount();
  }

  // --- what a module needs to find the stand-in ---

  /** The edge CA certificate (PEM): the trust bundle, or EdgeModuleCACertificateFile. */
  public Path caCertificate() {
    return ca.caCert();
  }

  public String caPem() throws IOException {
    return ca.caPem();
  }

  public Path workloadSocket() {
    return workloadSocket;
  }

  /** The first module's connection string (GatewayHostName 127.0.0.1). */
  public String connectionString() {
    return module().identity().connectionString(DEFAULT_GATEWAY);
  }

  /**
   * The environment IoT Edge gives a module for the workload-API path
   * (ModuleClient.createFromEnvironment), for this module of this stand-in.
   */
  public Map<String, String> workloadEnvironment(StandInModule module) {
    if (workloadSocket == null) {
      throw new IllegalStateException("this stand-in has no workload socket");
    }
    ModuleIdentity id = module.identity();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("IOTEDGE_WORKLOADURI", "unix://" + workloadSocket.toAbsolutePath());
    env.put("IOTEDGE_APIVERSION", WORKLOAD_API_VERSION);
    env.put("IOTEDGE_IOTHUBHOSTNAME", id.hubHostName());
    env.put("IOTEDGE_GATEWAYHOSTNAME", DEFAULT_GATEWAY);
    env.put("IOTEDGE_DEVICEID", id.deviceId());
    env.put("IOTEDGE_MODULEID", id.moduleId());
    env.put("IOTEDGE_MODULEGENERATIONID", id.generationId());
    env.put("IOTEDGE_AUTHSCHEME", "sasToken");
    return env;
  }

  /** The environment for the connection-string path: EdgeHubConnectionString + EdgeModuleCACertificateFile. */
  public Map<String, String> connectionStringEnvironment(StandInModule module) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("EdgeHubConnectionString", module.identity().connectionString(DEFAULT_GATEWAY));
    env.put("EdgeModuleCACertificateFile", ca.caCert().toAbsolutePath().toString());
    return env;
  }

  private static void await(Future<?> future) throws IOException {
    try {
      future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the stand-in did not start within " + START_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Builder: one default module (deviceId/moduleId), more with {@link #addModule}. */
  public static final class Builder {
    private String hubHostName = DEFAULT_HUB;
    private String deviceId = "edge-device";
    private String moduleId = "registry";
    private String moduleKey;
    private String generationId;
    private final List<String[]> extra = new ArrayList<>();
    private List<ModuleIdentity> exactly;
    private Path certDir;
    private Path workloadSocket;
    private String mqttHost = "127.0.0.1";

    private Builder() {}

    /** The IoT hub host name the modules authenticate against (their IOTEDGE_IOTHUBHOSTNAME). */
    public Builder hubHostName(String hubHostName) {
      this.hubHostName = hubHostName;
      return this;
    }

    public Builder deviceId(String deviceId) {
      this.deviceId = deviceId;
      return this;
    }

    public Builder moduleId(String moduleId) {
      this.moduleId = moduleId;
      return this;
    }

    /** The default module's key, base64 (random if not given). */
    public Builder moduleKey(String base64Key) {
      this.moduleKey = base64Key;
      return this;
    }

    /** The default module's generation id (random if not given). */
    public Builder generationId(String generationId) {
      this.generationId = generationId;
      return this;
    }

    /** Another module on the same stand-in (another device, or another module of the device). */
    public Builder addModule(String deviceId, String moduleId, String base64KeyOrNull) {
      extra.add(new String[] {deviceId, moduleId, base64KeyOrNull});
      return this;
    }

    /**
     * Exactly these modules (the first is the default one), instead of deviceId/moduleId/... and
     * addModule.
     */
    public Builder modules(List<ModuleIdentity> identities) {
      if (identities.isEmpty()) {
        throw new IllegalArgumentException("at least one module");
      }
      this.exactly = List.copyOf(identities);
      return this;
    }

    /** Where the edge CA and the server certificate are kept (made there if absent). Required. */
    public Builder certDir(Path certDir) {
      this.certDir = certDir;
      return this;
    }

    /** Serve the workload API on this unix socket path (none if not given). */
    public Builder workloadSocket(Path workloadSocket) {
      this.workloadSocket = workloadSocket;
      return this;
    }

    /** 127.0.0.1 (default) or another loopback address to listen on. */
    public Builder mqttHost(String mqttHost) {
      this.mqttHost = mqttHost;
      return this;
    }

    private List<ModuleIdentity> identities() {
      if (exactly != null) {
        return exactly;
      }
      List<ModuleIdentity> ids = new ArrayList<>();
      ids.add(identity(deviceId, moduleId, moduleKey, generationId));
      for (String[] e : extra) {
        ids.add(identity(e[0], e[1], e[2], null));
      }
      return ids;
    }

    private ModuleIdentity identity(String device, String module, String key, String genId) {
      return new ModuleIdentity(
          hubHostName, device, module,
          key == null ? ModuleIdentity.randomKey() : key,
          genId == null ? "gen-" + Long.toHexString(new SecureRandom().nextLong()) : genId);
    }

    /** Makes or loads the certificates, then listens; throws if 127.0.0.1:8883 is taken. */
    public EdgeHubStandIn start() throws IOException {
      if (certDir == null) {
        throw new IllegalStateException("certDir is required");
      }
      return new EdgeHubStandIn(this, EdgeCa.inFolder(certDir)).startServers();
    }
  }
}
