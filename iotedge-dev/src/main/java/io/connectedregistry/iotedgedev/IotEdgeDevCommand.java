package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code java -jar iotedge-dev.jar hub|desired|invoke|twin|modules|drop|refuse}. */
@Command(
    name = "iotedge-dev",
    mixinStandardHelpOptions = true,
    description = "A stand-in for IoT Edge's edgeHub and workload API, to run the module on one machine.",
    subcommands = {
      IotEdgeDevCommand.Hub.class, IotEdgeDevCommand.Desired.class, IotEdgeDevCommand.Invoke.class,
      IotEdgeDevCommand.TwinCommand.class, IotEdgeDevCommand.Modules.class,
      IotEdgeDevCommand.Drop.class, IotEdgeDevCommand.Refuse.class
    })
public final class IotEdgeDevCommand implements Runnable {

  @Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line as main runs it: failures print one line, not a stack trace. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new IotEdgeDevCommand());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("iotedge-dev: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    return cl;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: hub, desired, invoke, twin, modules, drop, refuse");
  }

  private static Path home(String... more) {
    return Path.of(System.getProperty("user.home"), ".iotedge-dev").resolve(Path.of("", more));
  }

  // ---------------------------------------------------------------- hub

  @Command(name = "hub", mixinStandardHelpOptions = true,
      description = "Run the stand-in: MQTT over TLS on 127.0.0.1:8883, the workload API, the control API; print each module's environment.")
  static final class Hub implements Callable<Integer> {

    @Option(names = "--certs", paramLabel = "DIR", description = "edge CA, server certificate and module keys (made if absent; default ~/.iotedge-dev/certs)")
    Path certs = home("certs");

    @Option(names = "--workload-socket", paramLabel = "PATH", description = "unix socket of the workload API (default ~/.iotedge-dev/workload.sock)")
    Path workloadSocket = home("workload.sock");

    @Option(names = "--hub-name", paramLabel = "HOST", description = "the IoT hub host name modules authenticate against (default ${DEFAULT-VALUE})")
    String hubName = EdgeHubStandIn.DEFAULT_HUB;

    @Option(names = "--module", paramLabel = "DEVICE/MODULE", description = "a module identity; repeat for several devices or modules (default edge-device/registry)")
    List<String> modules = List.of("edge-device/registry");

    @Option(names = "--control-port", paramLabel = "PORT", description = "control API port on 127.0.0.1 (default: any free port)")
    int controlPort;

    @Option(names = "--control-file", paramLabel = "FILE", description = "where the control API's URL and token are written (default ~/.iotedge-dev/control.json)")
    Path controlFile = ControlFile.defaultPath();

    @Option(names = "--desired", paramLabel = "FILE", description = "start every module's twin with these desired properties: a JSON object, or a deployment manifest (see --manifest-module)")
    Path desired;

    @Option(names = "--manifest-module", paramLabel = "NAME", description = "the module of a deployment manifest whose desired properties --desired takes (default ${DEFAULT-VALUE})")
    String manifestModule = "connectedRegistry";

    @Option(names = "--env-dir", paramLabel = "DIR", description = "also write DEVICE.MODULE.env (workload API) and DEVICE.MODULE.connection-string.env there")
    Path envDir;

    @Override
    public Integer call() throws Exception {
      List<ModuleIdentity> ids = ModuleRegistry.load(createPrivateDir(certs), hubName, modules);
      ObjectNode initial = desired == null ? null : InitialDesired.read(desired, manifestModule);
      EdgeHubStandIn hub = EdgeHubStandIn.builder()
          .modules(ids).certDir(certs).workloadSocket(workloadSocket).start();
      if (initial != null) {
        hub.modules().forEach(m -> m.patchDesired(initial));
      }
      ControlApi control = new ControlApi(hub);
      int port = control.start(controlPort).toCompletionStage().toCompletableFuture().get();

      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          Files.deleteIfExists(controlFile);
        } catch (IOException ignored) {
          // the next hub overwrites it
        }
        hub.close();
        stopped.countDown();
      }, "iotedge-dev-stop"));

      PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
      out.println("# iotedge-dev: edgeHub stand-in on 127.0.0.1:" + EdgeHubStandIn.MQTT_PORT
          + ", workload API on " + workloadSocket.toAbsolutePath() + ", control API on 127.0.0.1:" + port);
      for (StandInModule m : hub.modules()) {
        String name = m.identity().deviceId() + "." + m.identity().moduleId();
        out.println();
        out.println("# " + m.identity().clientId() + ": IoT Edge workload API (ModuleClient.createFromEnvironment)");
        String workloadEnv = exports(hub.workloadEnvironment(m));
        out.print(workloadEnv);
        out.println("# ... or the connection-string path (contains the module key)");
        String csEnv = exports(hub.connectionStringEnvironment(m));
        out.print(csEnv.replaceAll("(?m)^", "# "));
        if (envDir != null) {
          createPrivateDir(envDir);
          writePrivate(envDir.resolve(name + ".env"), workloadEnv);
          writePrivate(envDir.resolve(name + ".connection-string.env"), csEnv);
        }
      }
      // Last: whoever waits for the control file (scripts, tests) then finds every env file too.
      new ControlFile("http://127.0.0.1:" + port, control.token()).write(controlFile);
      out.println();
      out.println("# Ctrl-C stops it. From another shell: java -jar iotedge-dev.jar desired --patch '{...}' | invoke --method NAME | twin | modules");
      stopped.await();
      return 0;
    }

    private static String exports(Map<String, String> env) {
      StringBuilder sb = new StringBuilder();
      env.forEach((k, v) -> sb.append("export ").append(k).append("='").append(v.replace("'", "'\\''")).append("'\n"));
      return sb.toString();
    }

    private static Path createPrivateDir(Path dir) throws IOException {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException ignored) {
        // not POSIX
      }
      return dir;
    }

    private static void writePrivate(Path file, String content) throws IOException {
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "env", ".tmp"); // rw-------
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  // ---------------------------------------------------------------- clients of a running hub

  /** What every client command shares: which stand-in, which module. */
  static final class Target {
    @Option(names = "--control-file", paramLabel = "FILE", description = "the running stand-in's control file (default ~/.iotedge-dev/control.json)")
    Path controlFile = ControlFile.defaultPath();

    @Option(names = "--device", paramLabel = "DEVICE", description = "device id (default: the stand-in's first module)")
    String device;

    @Option(names = "--module", paramLabel = "MODULE", description = "module id (with --device)")
    String module;

    String moduleQuery(String prefix) {
      if (device == null && module == null) {
        return "";
      }
      return prefix + "device=" + enc(device == null ? "" : device) + "&module=" + enc(module == null ? "registry" : module);
    }

    /** Sends one request to the control API; prints the JSON answer; returns the HTTP status. */
    JsonNode call(String method, String pathAndQuery, String body, Duration timeout) throws Exception {
      ControlFile cf = ControlFile.read(controlFile);
      HttpRequest req = HttpRequest.newBuilder(URI.create(cf.url() + pathAndQuery))
          .timeout(timeout)
          .header("Authorization", "Bearer " + cf.token())
          .header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build();
      HttpResponse<String> resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
      JsonNode json = new ObjectMapper().readTree(resp.body());
      System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
      if (resp.statusCode() != 200) {
        throw new IOException("the stand-in answered " + resp.statusCode() + ": " + json.path("message").asText());
      }
      return json;
    }

    private static String enc(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
  }

  private static final Duration CALL = Duration.ofSeconds(10);

  @Command(name = "desired", mixinStandardHelpOptions = true, description = "Send a desired-properties patch (JSON merge patch: null deletes).")
  static final class Desired implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--patch", required = true, paramLabel = "JSON", description = "e.g. '{\"sync\":{\"schedule\":\"*/5 * * * *\"}}'")
    String patch;

    @Override
    public Integer call() throws Exception {
      target.call("PATCH", "/twin/desired" + target.moduleQuery("?"), patch, CALL);
      return 0;
    }
  }

  @Command(name = "invoke", mixinStandardHelpOptions = true, description = "Invoke a direct method; exit 0 if the module answered 2xx.")
  static final class Invoke implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--method", required = true, paramLabel = "NAME", description = "syncNow, getStatus, garbageCollect, getConfiguration, ...")
    String method;

    @Option(names = "--payload", paramLabel = "JSON", description = "default ${DEFAULT-VALUE}")
    String payload = "{}";

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "default ${DEFAULT-VALUE}")
    int timeout = 30;

    @Override
    public Integer call() throws Exception {
      String q = target.moduleQuery("&");
      JsonNode r = target.call("POST", "/methods/" + URLEncoder.encode(method, StandardCharsets.UTF_8) + "?timeout=" + timeout + q,
          payload, Duration.ofSeconds(timeout + 10L));
      int status = r.path("status").asInt();
      return status >= 200 && status < 300 ? 0 : 1;
    }
  }

  @Command(name = "twin", mixinStandardHelpOptions = true, description = "Print the module twin (desired and reported).")
  static final class TwinCommand implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      target.call("GET", "/twin" + target.moduleQuery("?"), null, CALL);
      return 0;
    }
  }

  @Command(name = "modules", mixinStandardHelpOptions = true, description = "List the stand-in's modules and whether each is connected.")
  static final class Modules implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      target.call("GET", "/modules", null, CALL);
      return 0;
    }
  }

  @Command(name = "drop", mixinStandardHelpOptions = true, description = "Close every module's MQTT connection (they reconnect).")
  static final class Drop implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      target.call("POST", "/connections/drop", null, CALL);
      return 0;
    }
  }

  @Command(name = "refuse", mixinStandardHelpOptions = true, description = "Refuse (--on) or accept again (--off) new MQTT connections: edgeHub down.")
  static final class Refuse implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--off", description = "accept connections again")
    boolean off;

    @Override
    public Integer call() throws Exception {
      target.call("POST", "/connections/refuse?on=" + !off, null, CALL);
      return 0;
    }
  }
}
