package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * The registry under test, running as a separate process: {@code java -jar connected-registry.jar
 * --listen 127.0.0.1:PORT --data DIR}, on a free loopback port and a data folder of its own under
 * {@code tests/target/e2e/<name>/}. Its stdout and stderr are appended to {@code registry.log}
 * there (kept after the run, for diagnosis).
 *
 * <p>The same data folder and port survive {@link #stop()}, {@link #kill9()} and
 * {@link #start()}, so a test can restart the registry on what it wrote.
 *
 * <p>With {@code -Dregistry.flavor=distribution} the harness starts the reference registry
 * ({@code docker-registry}, CNCF distribution 2.8) instead, to check a test's expectations against
 * it: most behaviours match; referrers, sha512, 413, /healthz and /readyz do not exist there.
 */
public final class RegistryProcess implements AutoCloseable {

  /** Stops each registry that was started (nulls skipped), in the order given: children first. */
  public static void closeAll(RegistryProcess... registries) {
    for (RegistryProcess registry : registries) {
      if (registry != null) {
        registry.close();
      }
    }
  }

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(45);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final String name;
  private final Path workDir;
  private final Path dataDir;
  private final Path logFile;
  private final int port;
  private List<String> extraArgs;
  private List<String> jvmArgs = List.of();
  /** Environment variables added to the harness's own for the next start. */
  private Map<String, String> environment = Map.of();
  /** Null: the registry serves plain HTTP. Else how the harness connects to its HTTPS. */
  private SSLContext tls;
  private HttpClient probe = probeClient(null);
  private Process process;
  private int starts;

  private RegistryProcess(String name, List<String> extraArgs) {
    this.name = name;
    this.workDir = Workspace.dir("registry-" + name + "-" + SEQUENCE.incrementAndGet());
    this.dataDir = workDir.resolve("data");
    this.logFile = workDir.resolve("registry.log");
    this.port = freePort();
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts a registry on a new, empty data folder and waits until it is ready. */
  public static RegistryProcess startFresh(String name, String... extraArgs) {
    RegistryProcess r = new RegistryProcess(name, Arrays.asList(extraArgs));
    r.start();
    return r;
  }

  /** A registry with a data folder and port, not started: for tests of the command line itself. */
  public static RegistryProcess prepare(String name, String... extraArgs) {
    return new RegistryProcess(name, Arrays.asList(extraArgs));
  }

  /** True when the harness drives CNCF distribution instead of the jar (see class comment). */
  public static boolean isReferenceDistribution() {
    return "distribution".equals(System.getProperty("registry.flavor"));
  }

  public static Path jar() {
    String jar = System.getProperty("registry.jar");
    if (jar == null) {
      jar = Paths.get("").toAbsolutePath().resolve("../module/target/connected-registry.jar").toString();
    }
    Path p = Paths.get(jar).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p) && !isReferenceDistribution()) {
      throw new AssertionError("registry jar not found at " + p
          + ": build it first (mvn -B -q -DskipTests package -pl module)");
    }
    return p;
  }

  /**
   * {@code module/small-device.jvmopts}, the JVM settings shipped for small devices (and in the
   * container images); pass {@code "@" + path} to {@link #withJvmArgs} to run the registry with them.
   */
  public static Path smallDeviceJvmOptions() {
    Path options = jar().getParent().getParent().resolve("small-device.jvmopts");
    if (!Files.isRegularFile(options)) {
      throw new AssertionError("small-device JVM options not found at " + options);
    }
    return options;
  }

  // ------------------------------------------------------------------------------------------
  // lifecycle

  /** Starts the process on this registry's data folder and port; waits until /healthz is 200. */
  public synchronized RegistryProcess start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("registry " + name + " is already running");
    }
    try {
      Files.createDirectories(dataDir);
      starts++;
      Files.writeString(logFile, "\n===== e2e harness: start #" + starts + " at " + Instant.now()
              + ": " + String.join(" ", command()) + "\n",
          StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(command())
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      // The launcher's class-data archive is made at a data folder's second start (~3 s, ~35 MiB
      // in DATA/jvm): not for every throw-away registry of the suite. The suite's own archive is
      // linked in instead where the launcher would use it (SuiteClassArchive); LauncherTest turns
      // the launcher's own on.
      if (!SuiteClassArchive.applies(environment, !jvmArgs.isEmpty()) || !SuiteClassArchive.seed(dataDir)) {
        pb.environment().put("CONNECTED_REGISTRY_CDS", "off");
      }
      pb.environment().putAll(environment);
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the registry " + name, e);
    }
    awaitReady();
    return this;
  }

  /** Graceful stop: SIGTERM, then waits for the process to exit. Returns its exit code. */
  public synchronized int stop() {
    if (process == null || !process.isAlive()) {
      return process == null ? 0 : process.exitValue();
    }
    process.destroy(); // SIGTERM on Linux
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("registry " + name + " did not exit within " + STOP_TIMEOUT
            + " of SIGTERM; killed it.\n" + logTail(60));
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping " + name, e);
    }
  }

  /** Sends SIGTERM and returns at once (for tests of what happens during a graceful stop). */
  public synchronized void sigterm() {
    if (process != null) {
      process.destroy();
    }
  }

  /** {@code kill -HUP <pid>} to the registry's JVM (it rereads its configuration file). */
  public synchronized void sighup() {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("registry " + name + " is not running");
    }
    Command.run(List.of("kill", "-HUP", Long.toString(process.pid()))).assertOk();
  }

  /** Waits for the process to exit after {@link #sigterm()}; returns false on timeout. */
  public boolean awaitExit(Duration timeout) {
    Process p;
    synchronized (this) {
      p = process;
    }
    try {
      return p == null || p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** SIGKILL: the process gets no chance to clean up, as in a power cut of the JVM. */
  public synchronized void kill9() {
    if (process == null) {
      return;
    }
    process.destroyForcibly(); // SIGKILL on Linux
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new AssertionError("registry " + name + " survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Replaces the extra command-line arguments (e.g. {@code --mode ReadOnly}) used by the next start. */
  public synchronized RegistryProcess withArgs(String... args) {
    this.extraArgs = List.of(args);
    return this;
  }

  /**
   * Extra environment variables (e.g. {@code ACR_REGISTRY_CONNECTION_STRING}) for the next start;
   * never written to the harness's log line, since they may hold a password.
   */
  public synchronized RegistryProcess withEnv(Map<String, String> variables) {
    this.environment = Map.copyOf(variables);
    return this;
  }

  /** Extra JVM options (e.g. {@code -Dregistry.tls.reloadIntervalMillis=200}) for the next start. */
  public synchronized RegistryProcess withJvmArgs(String... args) {
    this.jvmArgs = List.of(args);
    return this;
  }

  /**
   * Makes the harness speak HTTPS to the registry (base URI, readiness probe) with {@code context}
   * (trusting the registry's CA, and holding a client certificate when the registry asks for one).
   * The registry itself is told to serve TLS by its own configuration.
   */
  public synchronized RegistryProcess withTls(SSLContext context) {
    this.tls = context;
    this.probe = probeClient(context);
    return this;
  }

  private static HttpClient probeClient(SSLContext context) {
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2));
    if (context != null) {
      builder.sslContext(context);
    }
    return builder.build();
  }

  /** Graceful stop, then start again on the same data folder and port. */
  public RegistryProcess restart() {
    stop();
    return start();
  }

  /** The running JVM's process id (for jcmd). */
  public synchronized long pid() {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("registry " + name + " is not running");
    }
    return process.pid();
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Exit code of the last process, or -1 while it runs / before it started. */
  public synchronized int exitCode() {
    return process == null || process.isAlive() ? -1 : process.exitValue();
  }

  @Override
  public void close() {
    if (isAlive()) {
      try {
        stop();
      } catch (AssertionError e) {
        System.err.println(e.getMessage());
      }
    }
    deleteData();
  }

  // ------------------------------------------------------------------------------------------
  // the gc subcommand and other one-shot runs of the jar

  /**
   * Runs {@code java -jar JAR gc --data DIR ARGS...} on this registry's data folder. The registry
   * must be stopped first. Returns the finished command (exit code and output).
   */
  public Command.Result runGc(String... args) {
    if (isAlive()) {
      throw new IllegalStateException("stop the registry before running gc on its data folder");
    }
    List<String> cmd = new ArrayList<>();
    if (isReferenceDistribution()) {
      cmd.addAll(List.of("docker-registry", "garbage-collect", distributionConfig().toString()));
    } else {
      cmd.addAll(javaCommand());
      cmd.addAll(List.of("gc", "--data", dataDir.toString()));
      cmd.addAll(Arrays.asList(args));
    }
    return Command.run(cmd, Map.of(), 120);
  }

  /**
   * Runs the jar with arbitrary arguments in the foreground (for command-line tests), at most
   * {@code timeoutSeconds}; returns how it ended.
   */
  public static Command.Result runJar(int timeoutSeconds, String... args) {
    return runJar(timeoutSeconds, Map.of(), args);
  }

  /** {@link #runJar(int, String...)} with extra environment variables (a password for the CLI). */
  public static Command.Result runJar(int timeoutSeconds, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(javaCommand());
    cmd.addAll(Arrays.asList(args));
    return Command.run(cmd, env, timeoutSeconds);
  }

  // ------------------------------------------------------------------------------------------
  // where it is

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:PORT}, as skopeo and podman want it in an image reference. */
  public String hostPort() {
    return "127.0.0.1:" + port;
  }

  public URI baseUri() {
    return URI.create((tls == null ? "http://" : "https://") + hostPort());
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path workDir() {
    return workDir;
  }

  public Path logFile() {
    return logFile;
  }

  public String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(could not read " + logFile + ": " + e + ")";
    }
  }

  public String logTail(int lines) {
    String[] all = log().split("\n", -1);
    int from = Math.max(0, all.length - lines);
    return "--- last " + (all.length - from) + " lines of " + logFile + " ---\n"
        + String.join("\n", Arrays.asList(all).subList(from, all.length));
  }

  /** Status of {@code GET path} right now, or -1 when nothing answers. */
  public int probe(String path) {
    try {
      HttpResponse<Void> r = probe.send(
          HttpRequest.newBuilder(baseUri().resolve(path)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      return r.statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public String toString() {
    return "registry " + name + " on " + hostPort() + " (data " + dataDir + ")";
  }

  // ------------------------------------------------------------------------------------------

  private List<String> command() {
    if (isReferenceDistribution()) {
      return List.of("docker-registry", "serve", distributionConfig().toString());
    }
    List<String> cmd = new ArrayList<>(javaCommand());
    cmd.addAll(1, jvmArgs);
    cmd.addAll(List.of("--listen", hostPort(), "--data", dataDir.toString()));
    cmd.addAll(extraArgs);
    return cmd;
  }

  private static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    String jvmArgs = System.getProperty("registry.jvmArgs", "").trim();
    if (!jvmArgs.isEmpty()) {
      cmd.addAll(Arrays.asList(jvmArgs.split("\\s+")));
    }
    cmd.add("-jar");
    cmd.add(jar().toString());
    return cmd;
  }

  private Path distributionConfig() {
    Path cfg = workDir.resolve("distribution.yml");
    if (!Files.exists(cfg)) {
      Command.run(List.of(Workspace.sharedTool("registry-config.sh").toString(), cfg.toString(),
          Integer.toString(port), dataDir.toString())).assertOk();
    }
    return cfg;
  }

  private String readyPath() {
    return isReferenceDistribution() ? "/v2/" : "/healthz";
  }

  /** {@code /readyz}: 200 once storage is writable (the reference registry has none: /v2/ there). */
  public static String readinessPath() {
    return isReferenceDistribution() ? "/v2/" : "/readyz";
  }

  private void awaitReady() {
    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new AssertionError("registry " + name + " exited with code " + process.exitValue()
            + " before it was ready.\n" + logTail(80));
      }
      if (probe(readyPath()) == 200) {
        return;
      }
      sleep(50);
    }
    process.destroyForcibly();
    throw new AssertionError("registry " + name + " did not answer 200 on " + readyPath() + " within "
        + READY_TIMEOUT + "; killed it.\n" + logTail(80));
  }

  private void deleteData() {
    if (!Files.exists(dataDir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dataDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // leftovers under target/ are harmless
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
