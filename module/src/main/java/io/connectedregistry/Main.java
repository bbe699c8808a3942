package io.connectedregistry;

import ch.qos.logback.classic.Level;
import io.connectedregistry.cli.AuthCommands;
import io.connectedregistry.cli.BundleCommands;
import io.connectedregistry.cli.ConnectedRegistryCommands;
import io.connectedregistry.cli.ManifestVersion;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.edge.EdgeModule;
import io.connectedregistry.launcher.ClassArchive;
import io.connectedregistry.launcher.Launcher;
import io.connectedregistry.sqlite.SqliteDatabase;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: parses flags, loads the configuration and hands over to {@link
 * RegistryApplication}. Nothing else lives here.
 */
@Command(
    name = "connected-registry",
    mixinStandardHelpOptions = true,
    abbreviateSynopsis = true,
    versionProvider = ManifestVersion.class,
    description = "An OCI registry that keeps a replica of (part of) a parent registry.")
public final class Main implements Callable<Integer> {

  private static final String NAME = "connected-registry";
  private static final int CONFIG_ERROR = 2;
  private static final int FAILURE = 1;
  static final String NETTY_JFR = "io.netty.jfr.enabled";

  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file")
  String config;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "address to listen on")
  String listen;

  @Option(names = "--data", paramLabel = "DIR", description = "data folder")
  String data;

  @Option(names = "--mode", paramLabel = "MODE", description = "ReadOnly or ReadWrite")
  String mode;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      description = "Debug, Information, Warning, Error or None")
  String logLevel;

  public static void main(String[] args) {
    // Netty's JFR events (allocator, TLS handshakes) are only seen by a JFR recording, but
    // registering them loads ~50 JFR classes before the first answer; off unless asked for (the
    // small-device settings already pass -Dio.netty.jfr.enabled=false). Before Netty loads.
    if (System.getProperty(NETTY_JFR) == null) {
      System.setProperty(NETTY_JFR, "false");
    }
    Optional<Map<String, String>> server = ServerArguments.read(args);
    if (server.isPresent()) {
      SqliteDatabase.prepareDriver();
    }
    System.exit(server.isPresent() ? withOptions(server.get()).serve() : commandLineFor(args).execute(args));
  }

  /**
   * The options of {@code args} when they start a server (no subcommand, help or version, and
   * nothing picocli refuses), by their names without dashes; null otherwise. Run by {@link
   * ServerArguments} in a class loader of its own (so public: another loader is another runtime
   * package); it returns only strings.
   */
  public static Map<String, String> serverOptions(String[] args) {
    CommandLine commandLine = commandLineFor(args);
    if (!commandLine.getSubcommands().isEmpty()) {
      return null;
    }
    try {
      CommandLine.ParseResult result = commandLine.parseArgs(args);
      if (result.isUsageHelpRequested() || result.isVersionHelpRequested()) {
        return null;
      }
    } catch (CommandLine.ParameterException e) {
      return null;
    }
    Main main = commandLine.getCommand();
    Map<String, String> options = new HashMap<>();
    options.put("config", main.config);
    options.put("listen", main.listen);
    options.put("data", main.data);
    options.put("mode", main.mode);
    options.put("log-level", main.logLevel);
    options.values().removeIf(java.util.Objects::isNull);
    return options;
  }

  /** A server command with {@link #serverOptions}' answer. */
  static Main withOptions(Map<String, String> options) {
    Main main = new Main();
    main.config = options.get("config");
    main.listen = options.get("listen");
    main.data = options.get("data");
    main.mode = options.get("mode");
    main.logLevel = options.get("log-level");
    return main;
  }

  /** Runs the server as picocli's {@code execute} does: {@link #call}, failures as exit codes. */
  int serve() {
    try {
      return call();
    } catch (Exception e) {
      return failed(e);
    }
  }

  /** The subcommands, each with its {@code @Command} name. */
  private static final List<Class<?>> SUBCOMMANDS = List.of(Gc.class, AuthCommands.TokenCommand.class,
      AuthCommands.ScopeMapCommand.class, ConnectedRegistryCommands.CrCommand.class,
      BundleCommands.BundleCommand.class);

  /** The whole command line, every subcommand in it (help lists them all). */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Main());
    SUBCOMMANDS.forEach(commandLine::addSubcommand);
    return configured(commandLine);
  }

  /**
   * The command line {@code args} need, as {@link #main} runs it: the server's own options when
   * {@code args} name no subcommand, or the one they name. Picocli builds the model of every
   * subcommand it is given (reflection over ~40 classes and ~220 options); a server never runs
   * them, and their classes stayed loaded: ~2 MiB of its peak RSS under the benchmark
   * (bench/README.md, issue #13, seventh session). Help, and any word that is neither a
   * subcommand nor an option's value, get the whole command line: help lists every subcommand and
   * picocli's error for a mistyped one suggests the right name.
   */
  public static CommandLine commandLineFor(String[] args) {
    CommandLine commandLine = new CommandLine(new Main());
    Map<String, Class<?>> byName = new HashMap<>();
    SUBCOMMANDS.forEach(c -> byName.put(c.getAnnotation(Command.class).name(), c));
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      Class<?> named = byName.get(arg);
      if (named != null) {
        // Options after the name are the subcommand's: picocli hands them over there.
        return configured(commandLine.addSubcommand(named));
      }
      CommandLine.Model.OptionSpec option = arg.startsWith("-")
          ? commandLine.getCommandSpec().findOption(arg.split("=", 2)[0]) : null;
      if (option == null || option.usageHelp()) {
        return commandLine(); // help, or picocli's own error with its suggestions
      }
      // This option's value, unless it is a subcommand's name: picocli then reports the missing
      // value, which it does only if it knows that subcommand.
      if (!arg.contains("=") && option.arity().min() > 0 && i + 1 < args.length
          && !byName.containsKey(args[i + 1])) {
        i++;
      }
    }
    return configured(commandLine);
  }

  /** Settings for the command and the subcommands it has by now (picocli copies them down once). */
  private static CommandLine configured(CommandLine commandLine) {
    // With interpolation on, parsing the arguments interpolates every option name of every
    // subcommand over and over; C2 then compiled the interpolator on the server's start path, and
    // its compiler arena stayed resident (~4 MiB at ready: bench/README.md, issue #13, sixth
    // session). Our own options and descriptions use no ${...}, but picocli's standard -h/-V
    // options are named "${picocli.help.name.0:--h}" and so on: help is rendered with
    // interpolation back on for the command it describes.
    return commandLine
        .setInterpolateVariables(false)
        .setHelpFactory((spec, colors) -> new CommandLine.Help(spec.interpolateVariables(true), colors))
        .setParameterExceptionHandler(Main::badUsage)
        .setExecutionExceptionHandler(Main::failed);
  }

  /** Starts the registry and blocks; the JVM's shutdown hook (SIGTERM, Ctrl-C) stops it. */
  @Override
  public Integer call() throws Exception {
    ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
    // Nested IoT Edge: a parent at $upstream is trusted through the edge CA.
    loader = EdgeModule.upstreamTrustBundle(System.getenv()).map(loader::withUpstreamCa).orElse(loader);
    Flags flags = Flags.none()
        .withConfig(config)
        .withListen(listen)
        .withData(data)
        .withMode(mode)
        .withLogLevel(logLevel);
    ConfigLayers layers = new ConfigLayers(loader, flags);
    // Before the build: the watcher's first content is never newer than what the build read.
    Optional<ConfigFileWatcher> watcher = loader.configFile(flags).map(ConfigFileWatcher::new);
    ConfigLayers.Built loaded = layers.build();
    applyLogLevel(loaded.config().logLevel());

    boolean untunedHeap = UntunedHeap.bound();
    RegistryApplication application = RegistryApplication.start(layers, loaded);
    if (untunedHeap) {
      UntunedHeap.returnStartupHeap();
    }
    launchedBy();
    Hangup.onSignal(application::reloadConfigurationFile);
    watcher.ifPresent(w -> w.start(loaded.config().configWatchInterval(),
        application::reloadConfigurationFile));
    CountDownLatch stopped = new CountDownLatch(1);
    // stop() lets in-flight requests finish; the JVM waits for this hook before exiting.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    watcher.ifPresent(ConfigFileWatcher::close);
                    application.stop();
                  } finally {
                    stopped.countDown();
                  }
                },
                "registry-shutdown"));
    stopped.await();
    return 0;
  }

  @Command(
      name = "gc",
      mixinStandardHelpOptions = true,
      abbreviateSynopsis = true,
      versionProvider = ManifestVersion.class,
      description = "Delete blobs and uploads no image refers to, then print a summary.")
  static final class Gc implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file")
    String config;

    @Option(names = "--data", paramLabel = "DIR", description = "data folder")
    String data;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        description = "keep anything younger than this (ISO-8601, e.g. PT0S); overrides storage.gcGrace")
    String grace;

    @Override
    public Integer call() throws Exception {
      RegistryConfig loaded =
          ConfigLoader.fromSystemEnvironment()
              .load(Flags.none().withConfig(config).withData(data).withGrace(grace));
      applyLogLevel(loaded.logLevel());
      System.out.println(RegistryApplication.collectGarbage(loaded));
      return 0;
    }
  }

  /** Says which JVM options the launcher chose, and lets its class archive be kept (launcher.ClassArchive). */
  private static void launchedBy() {
    // First: a supervisor that stops the registry as soon as it answers ready (a benchmark, a
    // liveness probe) must not stop it before the list is marked; what follows loads the
    // management beans (~30 ms), which are no longer loaded before ready.
    String dump = System.getProperty(Launcher.PENDING_ARCHIVE);
    if (dump != null) {
      ClassArchive.markReady(dump);
    }
    String launcher = System.getProperty(Launcher.LAUNCHED);
    if (launcher != null) {
      String[] how = launcher.split(",", 3); // exec,PROFILE,MILLIS_WHEN_THE_LAUNCHER_STARTED
      long relaunch = how.length == 3 && how[2].matches("[0-9]{1,18}")
          ? ManagementFactory.getRuntimeMXBean().getStartTime() - Long.parseLong(how[2]) : -1;
      LoggerFactory.getLogger(Main.class).info("JVM started by the launcher ({},{}) {} ms after the launcher's main, with {}",
          how[0], how.length > 1 ? how[1] : "", relaunch, ManagementFactory.getRuntimeMXBean().getInputArguments());
    }
    String skipped = System.getProperty(Launcher.ARCHIVE_SKIPPED);
    if (skipped != null && skipped.matches("[0-9]{1,19}")) {
      LoggerFactory.getLogger(Main.class).info("no class-data archive is made: this process may use {} MiB of memory (RAM or cgroup"
          + " limit), under the {} MiB it takes to make one (that peaks at ~210 MiB resident); starts stay about twice as slow (README \"JVM settings"
          + " and small devices\"; CONNECTED_REGISTRY_CDS=off silences this)", Long.parseLong(skipped) >> 20,
          ClassArchive.DUMP_MIN_MEMORY >> 20);
    }
    String made = System.getProperty(Launcher.ARCHIVE_MADE);
    if (made != null) {
      LoggerFactory.getLogger(Main.class).info("class-data archive made from the last start's class list in {} ms;"
          + " this and later starts load their classes from it", made);
    }
    String failed = System.getProperty(Launcher.ARCHIVE_FAILED);
    if (failed != null) {
      LoggerFactory.getLogger(Main.class).warn("no class-data archive: making one failed, see {} (the dump's output);"
          + " starts stay about twice as slow. Delete that file to have the next start try again", failed);
    }
  }

  private static void applyLogLevel(RegistryConfig.LogLevel level) {
    LogConfiguration.setLevel(level);
  }

  private static int badUsage(CommandLine.ParameterException e, String[] args) {
    System.err.println(NAME + ": " + e.getMessage());
    System.err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
    return CONFIG_ERROR;
  }

  /** A bad configuration is the user's to fix: one line, no stack trace. */
  private static int failed(Exception e, CommandLine commandLine, CommandLine.ParseResult result) {
    return failed(e);
  }

  private static int failed(Exception e) {
    if (e instanceof ConfigException) {
      System.err.println(NAME + ": " + e.getMessage());
      return CONFIG_ERROR;
    }
    LoggerFactory.getLogger(Main.class).debug("unexpected failure", e);
    System.err.println(NAME + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
    return FAILURE;
  }
}
