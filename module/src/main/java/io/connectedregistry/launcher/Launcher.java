package io.connectedregistry.launcher;

import io.connectedregistry.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The jar's entry point. {@code java -jar connected-registry.jar} with no JVM option of the user's
 * gets the JVM's server defaults: G1 and a heap of up to a quarter of the RAM, which the registry
 * cannot change from inside. So, for the server command only, this class replaces its JVM (exec,
 * same PID) by one with the registry's own defaults ({@code default.jvmopts}, or the small-device
 * set when {@code CONNECTED_REGISTRY_JVM=small-device}) and a class-data archive in the data
 * folder ({@link ClassArchive}), then runs {@link Main} there.
 *
 * <p>Any JVM option of the user's on the command line or in {@code JAVA_TOOL_OPTIONS}, {@code
 * CONNECTED_REGISTRY_JVM=off} or {@code -Dconnected-registry.relaunch=false} means someone chose:
 * {@link Main} runs in this JVM as it is. {@code JDK_JAVA_OPTIONS} (the variable images and
 * supervisors use to add an option or two) is added after the defaults instead, so its options win
 * ({@link #withUserOptions}). When exec is not possible (not
 * Linux, JNA's native library cannot load), one line on stderr says why and {@link Main} runs in
 * this JVM.
 */
public final class Launcher {
  /** {@code default}, {@code small-device} or {@code off}. */
  static final String PROFILE_ENV = "CONNECTED_REGISTRY_JVM";
  /** Set in the JVM the launcher started: how ({@code exec}) and which profile. */
  public static final String LAUNCHED = "connected-registry.launcher";
  /** The class list the JVM writes for the next start's archive; the registry marks it ready ({@link ClassArchive#markReady}). */
  public static final String PENDING_ARCHIVE = "connected-registry.cds.pending";
  /** Set when the launcher made the archive before this start: how long that took, in ms. */
  public static final String ARCHIVE_MADE = "connected-registry.cds.made";
  /** The file in which the server keeps what picocli read from its arguments (ServerOptionsCache). */
  public static final String SERVER_OPTIONS = "connected-registry.server-options";
  /** Set when making the archive failed: the file that says why ({@code NAME.failed}). */
  public static final String ARCHIVE_FAILED = "connected-registry.cds.failed";
  /** Set instead when no archive is made because memory is short: the limit, in bytes. */
  public static final String ARCHIVE_SKIPPED = "connected-registry.cds.skipped";
  static final Map<String, String> PROFILES =
      Map.of("default", "default.jvmopts", "small-device", "small-device.jvmopts");
  /** {@code off}: no class-data archive (no class list recorded, nothing in {@code DATA/jvm}). */
  static final String ARCHIVE_ENV = "CONNECTED_REGISTRY_CDS";
  private static final String MALLOC_ARENA_MAX = "MALLOC_ARENA_MAX";
  private static final String JDK_OPTIONS = "JDK_JAVA_OPTIONS";

  /** When this JVM reached {@link #main}: the new JVM logs how long the relaunch took from there. */
  private static final long MAIN_ENTERED = System.currentTimeMillis();

  private Launcher() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    if (reasonToStay(args, env, jvmOptionsGiven()).isEmpty()) {
      String failure = relaunch(args, env);
      System.err.println("connected-registry: running with the JVM's own defaults: " + failure);
    }
    Main.main(args);
  }

  /**
   * The options before {@code -jar} on this JVM's command line, from {@code /proc/self/cmdline}
   * (the management beans would tell the same but cost ~100 ms of class loading on every start,
   * and {@link ProcessHandle.Info} ~10 ms: it reads the process's user, times and more). Where
   * there is no such file, {@link ProcessHandle.Info}'s arguments.
   */
  static List<String> jvmOptionsGiven() {
    List<String> arguments = commandLine(Path.of("/proc/self/cmdline"));
    if (arguments.isEmpty()) {
      arguments = List.of(ProcessHandle.current().info().arguments().orElse(new String[] {"?"}));
    } else {
      arguments = arguments.subList(1, arguments.size()); // without the program, as Info has it
    }
    int jar = arguments.indexOf("-jar");
    return jar < 0 ? arguments : arguments.subList(0, jar);
  }

  /** A {@code /proc/PID/cmdline} file's words (each ends with a NUL byte); empty if unreadable. */
  static List<String> commandLine(Path cmdline) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(cmdline);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    List<String> words = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        words.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < bytes.length) {
      words.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
    }
    return words;
  }

  /** Why this JVM runs the registry itself, or empty when it should exec one with the defaults. */
  static Optional<String> reasonToStay(String[] args, Map<String, String> env, List<String> jvmInput) {
    if (!jvmInput.isEmpty()) {
      return Optional.of("JVM options given");
    }
    if (!env.getOrDefault("JAVA_TOOL_OPTIONS", "").isBlank()) {
      return Optional.of("JAVA_TOOL_OPTIONS set");
    }
    String profile = env.getOrDefault(PROFILE_ENV, "default");
    if (!PROFILES.containsKey(profile)) {
      return Optional.of(PROFILE_ENV + "=" + profile);
    }
    // Subcommands, --help and --version are short-lived: a second JVM start would only cost.
    List<String> shortLived = List.of("-h", "--help", "-V", "--version");
    for (int i = 0; i < args.length; i++) {
      boolean optionValue = i > 0 && args[i - 1].startsWith("--") && !args[i - 1].contains("=");
      if (!args[i].startsWith("-") && !optionValue || shortLived.contains(args[i])) {
        return Optional.of("not the server command");
      }
    }
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return Optional.of("not Linux");
    }
    return Optional.empty();
  }

  /**
   * Returns only when exec failed, with the reason. Written without lambdas, streams, regular
   * expressions or String.format, here and in what it calls: this JVM has no class archive of its
   * own, and each of those costs milliseconds of set-up the first time a JVM uses it.
   */
  private static String relaunch(String[] args, Map<String, String> env) {
    try {
      Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isRegularFile(jar)) {
        return "not started from the jar";
      }
      String profile = env.getOrDefault(PROFILE_ENV, "default");
      List<String> jvm = withUserOptions(jvmOptions(PROFILES.get(profile)), env.getOrDefault(JDK_OPTIONS, ""));
      Optional<Path> data = dataFolder(args, env);
      ClassArchive.Options archive = ClassArchive.Options.of();
      if (data.isPresent() && !"off".equals(env.get(ARCHIVE_ENV))) {
        Path folder = data.get().resolve(ClassArchive.FOLDER);
        archive = ClassArchive.options(folder, jar, jvm, ProcessHandle.current().pid(), MemoryLimit.bytes(Path.of("/")));
        if (Files.isDirectory(folder)) {
          // Where JNA unpacks its library if the copy in DATA/native cannot be used: the data folder
          // rather than a /tmp that may be mounted noexec (it deletes that copy once loaded).
          System.setProperty("jna.tmpdir", folder.toString());
        }
      }
      if (data.isPresent()) {
        Exec.useCachedDispatch(data.get());
      }
      Exec.LibC libc = Exec.libc();
      List<String> argv = new ArrayList<>();
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      argv.add(java);
      argv.addAll(jvm);
      argv.addAll(archive.jvm());
      if (archive.dumpMillis().isPresent()) {
        argv.add("-D" + ARCHIVE_MADE + "=" + archive.dumpMillis().getAsLong());
      }
      argv.add("-D" + LAUNCHED + "=exec," + profile + "," + MAIN_ENTERED);
      argv.add("-jar");
      argv.add(jar.toString());
      argv.addAll(List.of(args));
      return Exec.execve(libc, java, argv, environment(env));
    } catch (IOException | URISyntaxException | RuntimeException | LinkageError e) {
      return e.toString();
    }
  }

  /**
   * The new JVM's environment: this one's, with glibc's malloc held to 2 arenas (by default up to
   * 8 per CPU, each growing on its own: the registry's worker threads allocate little natively)
   * unless the user set it.
   */
  static List<String> environment(Map<String, String> env) {
    Map<String, String> copy = new HashMap<>(env);
    copy.putIfAbsent(MALLOC_ARENA_MAX, "2");
    copy.remove(JDK_OPTIONS); // already on the new JVM's command line, after the defaults
    List<String> list = new ArrayList<>();
    for (Map.Entry<String, String> e : copy.entrySet()) {
      list.add(e.getKey() + "=" + e.getValue());
    }
    return list;
  }

  /** The data folder as the registry will see it, when the launcher can tell without the config file. */
  static Optional<Path> dataFolder(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--data") && i + 1 < args.length) {
        return Optional.of(Path.of(args[i + 1]).toAbsolutePath());
      }
      if (args[i].startsWith("--data=")) {
        return Optional.of(Path.of(args[i].substring("--data=".length())).toAbsolutePath());
      }
    }
    if (env.containsKey("REGISTRY_DATA")) {
      return Optional.of(Path.of(env.get("REGISTRY_DATA")).toAbsolutePath());
    }
    boolean configFile = env.containsKey("REGISTRY_CONFIG");
    for (String a : args) {
      configFile |= a.equals("--config") || a.startsWith("--config=");
    }
    // A configuration file may name another data folder: no archive rather than one in the wrong place.
    return configFile ? Optional.empty() : Optional.of(Path.of("data").toAbsolutePath());
  }

  /**
   * The profile's options followed by those of {@code JDK_JAVA_OPTIONS} (later options win in
   * HotSpot), split as the {@code java} launcher splits that variable: at white space, except
   * inside single or double quotes. A collector the user chose replaces the profile's: two would
   * stop the JVM from starting.
   */
  static List<String> withUserOptions(List<String> profile, String jdkJavaOptions) {
    List<String> user = new ArrayList<>();
    StringBuilder token = new StringBuilder();
    boolean inToken = false;
    char quote = 0;
    for (char c : jdkJavaOptions.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          token.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        inToken = true;
      } else if (Character.isWhitespace(c)) {
        if (inToken) {
          user.add(token.toString());
          token.setLength(0);
          inToken = false;
        }
      } else {
        token.append(c);
        inToken = true;
      }
    }
    if (inToken) {
      user.add(token.toString());
    }
    boolean collectorChosen = false;
    for (String option : user) {
      collectorChosen |= isCollector(option);
    }
    List<String> all = new ArrayList<>();
    for (String option : profile) {
      if (!(collectorChosen && isCollector(option))) {
        all.add(option);
      }
    }
    all.addAll(user);
    return all;
  }

  /** {@code -XX:+UseSomethingGC}: a collector's choice (word characters only between). */
  static boolean isCollector(String option) {
    String prefix = "-XX:+Use";
    if (!option.startsWith(prefix) || !option.endsWith("GC") || option.length() <= prefix.length() + 2) {
      return false;
    }
    for (int i = prefix.length(); i < option.length() - 2; i++) {
      char c = option.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /** One option a line; blank lines and # comments skipped. */
  static List<String> jvmOptions(String resource) throws IOException {
    List<String> options = new ArrayList<>();
    try (InputStream in = Launcher.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no " + resource + " in the jar");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = reader.readLine()) != null; ) {
        String option = line.strip();
        if (!option.isEmpty() && !option.startsWith("#")) {
          options.add(option);
        }
      }
    }
    return options;
  }
}
