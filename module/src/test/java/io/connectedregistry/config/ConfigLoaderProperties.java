package io.connectedregistry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * {@link ConfigLoader#load} reads the configuration file (YAML or JSON), the environment and the
 * flags: whatever they hold, the answer is a configuration or {@link ConfigException} — never a
 * Jackson or SnakeYAML exception, a stack overflow or a runtime exception of its own.
 */
class ConfigLoaderProperties {
  private static Path dir;
  private static final ObjectMapper JSON = new JsonMapper();
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final List<String> FILE_NAMES = List.of("registry.yaml", "registry.json", "registry.conf");

  @BeforeContainer
  static void makeDirectory() throws IOException {
    dir = Files.createTempDirectory("config-properties");
  }

  @AfterContainer
  static void removeDirectory() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  // --- valid files: what was written is what is loaded ---------------------------------------

  record Settings(String host, int port, Mode mode, LogLevel logLevel, List<String> repositories,
      int maxConnections, long minFreeMegabytes, Duration window) {}

  @Property(tries = 100)
  void aGeneratedFileLoadsToWhatItSets(@ForAll("settings") Settings s, @ForAll boolean json) throws IOException {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("listen", s.host() + ":" + s.port());
    tree.put("mode", s.mode().name());
    tree.put("logLevel", s.logLevel().name());
    tree.put("sync", Map.of("repositories", s.repositories(), "window", s.window().toString()));
    tree.put("storage", Map.of("minFreeBytes", s.minFreeMegabytes() + "M"));
    tree.put("http", Map.of("maxConnections", s.maxConnections()));
    ObjectMapper mapper = json ? JSON : YAML;

    RegistryConfig config = load(json ? "registry.json" : "registry.yaml", mapper.writeValueAsBytes(tree));

    assertEquals(new ListenAddress(s.host(), s.port()), config.listen());
    assertEquals(s.mode(), config.mode());
    assertEquals(s.logLevel(), config.logLevel());
    assertEquals(s.repositories(), config.sync().repositories());
    assertEquals(s.window(), config.sync().window());
    assertEquals(s.minFreeMegabytes() << 20, config.storage().minFreeBytes());
    assertEquals(s.maxConnections(), config.http().maxConnections());
  }

  @Example
  void aHundredThousandRepositoriesLoad() throws IOException {
    StringBuilder yaml = new StringBuilder("sync:\n  repositories:\n");
    for (int i = 0; i < 100_000; i++) {
      yaml.append("    - app/r").append(i).append('\n');
    }
    assertEquals(100_000, load("registry.yaml", yaml.toString().getBytes(StandardCharsets.UTF_8))
        .sync().repositories().size());
  }

  // --- hostile files: a configuration or ConfigException ---------------------------------------

  @Property(tries = 300)
  void anyTextInAnyFileIsAConfigOrAConfigException(@ForAll @Size(max = 500) String text,
      @ForAll("fileNames") String name) {
    loadedOrRefused(name, text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 300)
  void anyBytesInAnyFileAreAConfigOrAConfigException(@ForAll @Size(max = 500) byte[] bytes,
      @ForAll("fileNames") String name) {
    loadedOrRefused(name, bytes);
  }

  @Property(tries = 300)
  void yamlShapedTextIsAConfigOrAConfigException(@ForAll("yamlShaped") String text, @ForAll("fileNames") String name) {
    loadedOrRefused(name, text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 300)
  void anyValueOfAnyKeyIsAConfigOrAConfigException(@ForAll("keyPaths") String path, @ForAll("anyValues") Object value,
      @ForAll boolean json) throws IOException {
    String[] keys = path.split("\\.");
    Object tree = value;
    for (int i = keys.length - 1; i >= 0; i--) {
      tree = Map.of(keys[i], tree);
    }
    loadedOrRefused(json ? "registry.json" : "registry.yaml", (json ? JSON : YAML).writeValueAsBytes(tree));
  }

  @Property(tries = 20)
  void deepNestingIsAConfigException(@ForAll @IntRange(min = 1_000, max = 20_000) int depth,
      @ForAll("nestings") String nesting, @ForAll("fileNames") String name) {
    String open = nesting.substring(0, nesting.indexOf('X'));
    String close = nesting.substring(nesting.indexOf('X') + 1);
    String text = "sync: {repositories: " + open.repeat(depth) + "1" + close.repeat(depth) + "}";
    if (name.endsWith(".json")) {
      text = "{\"sync\": {\"repositories\": " + open.repeat(depth) + "1" + close.repeat(depth) + "}}";
    }
    refused(name, text);
  }

  @Example
  void tenThousandNestedArraysAreAConfigException() {
    refused("registry.json", "[".repeat(10_000) + "]".repeat(10_000));
    refused("registry.yaml", "[".repeat(10_000) + "]".repeat(10_000));
    refused("registry.yaml", "a:\n" + "- ".repeat(10_000) + "x\n");
  }

  @Property(tries = 100)
  void aDuplicateKeyIsAConfigException(@ForAll("duplicates") String flow, @ForAll("fileNames") String name) {
    String text = name.endsWith(".yaml") ? "{" + flow + "}" : toJson(flow);
    ConfigException e = assertThrows(ConfigException.class, () -> load(name, text.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("Duplicate field"), e.getMessage());
  }

  @Property(tries = 40)
  void overlongNumbersAreAConfigOrAConfigException(@ForAll("numberKeys") String key,
      @ForAll @IntRange(min = 1, max = 50_000) int digits, @ForAll("numberForms") String form) {
    String number = form.replace("N", "9".repeat(digits));
    String[] keys = key.split("\\.");
    loadedOrRefused("registry.yaml", (keys.length == 1 ? keys[0] + ": " + number
        : keys[0] + ":\n  " + keys[1] + ": " + number + "\n").getBytes(StandardCharsets.UTF_8));
    loadedOrRefused("registry.json", (keys.length == 1 ? "{\"" + keys[0] + "\": " + number + "}"
        : "{\"" + keys[0] + "\": {\"" + keys[1] + "\": " + number + "}}").getBytes(StandardCharsets.UTF_8));
  }

  @Example
  void aYamlAliasBombIsAConfigOrAConfigException() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 12; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [")
          .append(String.join(", ", java.util.Collections.nCopies(10, "*a" + (i - 1)))).append("]\n");
    }
    loadedOrRefused("registry.yaml", yaml.toString().getBytes(StandardCharsets.UTF_8));
  }

  // --- environment and flags: a configuration or ConfigException -----------------------------

  @Property(tries = 1000)
  void anyEnvironmentValueIsAConfigOrAConfigException(@ForAll("environmentNames") String name,
      @ForAll("anyStrings") String value) {
    try {
      new ConfigLoader(Map.of(name, value)).load(Flags.none());
    } catch (ConfigException expected) {
      assertFalse(expected.getMessage().isBlank());
    }
  }

  @Property(tries = 1000)
  void anyFlagValueIsAConfigOrAConfigException(@ForAll("flagIndexes") int flag, @ForAll("anyStrings") String value) {
    Flags flags = switch (flag) {
      case 0 -> Flags.none().withListen(value);
      case 1 -> Flags.none().withData(value);
      case 2 -> Flags.none().withMode(value);
      case 3 -> Flags.none().withLogLevel(value);
      case 4 -> Flags.none().withGrace(value);
      default -> Flags.none().withConfig(value);
    };
    try {
      new ConfigLoader(Map.of()).load(flags);
    } catch (ConfigException expected) {
      assertFalse(expected.getMessage().isBlank());
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private static RegistryConfig load(String name, byte[] content) throws IOException {
    Path file = Files.write(dir.resolve(name), content);
    return new ConfigLoader(Map.of()).load(Flags.none().withConfig(file));
  }

  private static void loadedOrRefused(String name, byte[] content) {
    try {
      load(name, content);
    } catch (ConfigException expected) {
      assertFalse(expected.getMessage().isBlank());
    } catch (IOException e) {
      throw new AssertionError("the test could not write its file", e);
    }
  }

  private static void refused(String name, String text) {
    assertThrows(ConfigException.class, () -> load(name, text.getBytes(StandardCharsets.UTF_8)));
  }

  /** The duplicate samples are YAML flow mappings; quote their keys for JSON. */
  private static String toJson(String flow) {
    return "{" + flow.replaceAll("([A-Za-z]+):", "\"$1\":") + "}";
  }

  // --- generators -----------------------------------------------------------------------------

  @Provide
  Arbitrary<Settings> settings() {
    Arbitrary<String> host = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars(".-")
        .ofMinLength(1).ofMaxLength(30);
    Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').withChars("/*-._").ofMinLength(1).ofMaxLength(20);
    return Combinators.combine(host, Arbitraries.integers().between(1, 65535), Arbitraries.of(Mode.class),
        Arbitraries.of(LogLevel.class), name.list().ofMaxSize(10), Arbitraries.integers().between(8, 100_000),
        Arbitraries.longs().between(0, 1L << 30), Arbitraries.longs().between(3600, 7 * 86400).map(Duration::ofSeconds))
        .as(Settings::new);
  }

  @Provide
  Arbitrary<String> fileNames() {
    return Arbitraries.of(FILE_NAMES);
  }

  @Provide
  Arbitrary<String> yamlShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(Arbitraries.strings().alpha().ofMaxLength(6), Arbitraries.of(
        "listen", "sync", "repositories", "storage", "auth", "limits", "http", "parent", "endpoint", "tls", ": ",
        ":", "\n", "\n  ", "\n    ", "- ", "[", "]", "{", "}", ",", "\"", "'", "&a ", "*a", "!!binary ", "!!int ",
        "!!python/object ", "%YAML 1.2\n", "---\n", "...\n", "? ", "|\n  ", ">\n  ", "#", "0x", "1e400", "~",
        "null", "true", "PT1H", "0.0.0.0:5000", "\t", "\u0000", "\ufeff", "\u2028", "\\u0000"));
    return piece.list().ofMaxSize(40).map(pieces -> String.join("", pieces));
  }

  @Provide
  Arbitrary<String> keyPaths() {
    return Arbitraries.of("listen", "data", "mode", "logLevel", "parent", "parent.endpoint", "parent.protocol",
        "parent.username", "parent.password", "parent.caBundle", "parent.tokenRealms", "sync", "sync.repositories",
        "sync.schedule", "sync.window", "sync.messageTtl", "sync.onDemand", "sync.tags", "sync.tags.include",
        "sync.tags.exclude", "sync.tags.semver", "sync.bandwidth", "tls", "tls.certificate", "tls.key",
        "tls.clientCa", "storage.uploadExpiry", "storage.gcInterval", "storage.gcGrace", "storage.minFreeBytes",
        "storage.uploadMaxAge", "http.maxConnections", "http.headerTimeout", "http.idleTimeout",
        "http.unauthenticatedIdleTimeout", "http.maxBodyMemory", "http.trustedProxies", "auth.anonymousPull",
        "auth.adminTokens", "auth.tokenLifetime", "auth.failedLoginsPerMinute", "auth.limits",
        "auth.limits.maxTokens", "auth.limits.maxScopeMaps", "auth.limits.maxRulesPerScopeMap",
        "auth.limits.maxClientTokens", "unknown", "sync.unknown");
  }

  @Provide
  Arbitrary<Object> anyValues() {
    Arbitrary<Object> scalar = Arbitraries.oneOf(anyStrings(), Arbitraries.integers(), Arbitraries.longs(),
        Arbitraries.doubles(), Arbitraries.bigIntegers().between(java.math.BigInteger.TEN.pow(30).negate(),
            java.math.BigInteger.TEN.pow(30)), Arbitraries.of(true, false), Arbitraries.just(""));
    Arbitrary<Object> list = anyStrings().list().ofMaxSize(5).map(l -> l);
    Arbitrary<Object> map = Arbitraries.maps(anyStrings(), anyStrings()).ofMaxSize(3).map(m -> m);
    return Arbitraries.oneOf(scalar, list, map);
  }

  /** Any text, and the values the validators are most likely to trip over. */
  @Provide
  Arbitrary<String> anyStrings() {
    return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40), Arbitraries.of("0", "-1", "99999999999999999999",
        "1e400", "PT", "P", "PT-1S", "P99999999999999999D", "PT9223372036854775807S", "[::]:", "[:5000", "]:1",
        ":", "a:0", "a:65536", "a:99999", "0.0.0.0:5000", "* * * * *", "* * * * * * * *", "0/0 * * * *",
        "60 * * * *", "*/0 * * * *", "L W # ?", "0-59/0 * * * *", "((", "[", "\\", "^1.x", ">=", "|| ||",
        "1.2.3 - ", "x.x.x.x", "256.1.1.1/33", "::/129", "1.2.3.4/", "1.2.3.4/999", "https://", "https://:0",
        "https://a:99999", "http://x", "-a", ".a", "9K", "9G", "99999999999999G", "16K", "-1K", "K", "4M",
        "/dev/null", "\u0000", "/proc/self/fd/0"));
  }

  @Provide
  Arbitrary<String> nestings() {
    return Arbitraries.of("[X]", "{a: X}", "{\"a\": X}");
  }

  @Provide
  Arbitrary<String> duplicates() {
    return Arbitraries.of("listen: \"h\", listen: \"i\"", "sync: {schedule: \"a\", schedule: \"b\"}",
        "sync: {repositories: [\"app/a\"], repositories: [\"app/a\"]}",
        "auth: {limits: {maxTokens: 1, maxTokens: 2}}", "http: {maxConnections: 8}, http: {maxConnections: 9}");
  }

  @Provide
  Arbitrary<String> numberKeys() {
    return Arbitraries.of("listen", "data", "mode", "sync.bandwidth", "storage.minFreeBytes", "http.maxConnections",
        "http.maxBodyMemory", "auth.failedLoginsPerMinute", "sync.window", "sync.schedule", "auth.anonymousPull");
  }

  @Provide
  Arbitrary<String> numberForms() {
    return Arbitraries.of("N", "-N", "0.N", "1eN", "1e-N", "N.N");
  }

  @Provide
  Arbitrary<String> environmentNames() {
    return Arbitraries.of("REGISTRY_LISTEN", "REGISTRY_DATA", "REGISTRY_MODE", "REGISTRY_LOG_LEVEL",
        "REGISTRY_TLS_CERTIFICATE", "REGISTRY_TLS_KEY", "REGISTRY_TLS_CLIENT_CA", "REGISTRY_AUTH_ANONYMOUS_PULL",
        "REGISTRY_CONFIG", ConfigLoader.CONNECTION_STRING);
  }

  @Provide
  Arbitrary<Integer> flagIndexes() {
    return Arbitraries.integers().between(0, 5);
  }
}
