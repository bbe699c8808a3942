package io.connectedregistry.config;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static io.connectedregistry.Generators.unicodeStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.maps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

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

  @BeforeAll
  static void makeDirectory() throws IOException {
    dir = Files.createTempDirectory("config-properties");
  }

  @AfterAll
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

  @Test
  void aGeneratedFileLoadsToWhatItSets() {
    qt().withExamples(100).forAll(settings(), booleans().all()).checkAssert((s, json) -> {
      Map<String, Object> tree = new LinkedHashMap<>();
      tree.put("listen", s.host() + ":" + s.port());
      tree.put("mode", s.mode().name());
      tree.put("logLevel", s.logLevel().name());
      tree.put("sync", Map.of("repositories", s.repositories(), "window", s.window().toString()));
      tree.put("storage", Map.of("minFreeBytes", s.minFreeMegabytes() + "M"));
      tree.put("http", Map.of("maxConnections", s.maxConnections()));

      RegistryConfig config;
      try {
        config = load(json ? "registry.json" : "registry.yaml", (json ? JSON : YAML).writeValueAsBytes(tree));
      } catch (IOException e) {
        throw new AssertionError("the test could not write its file", e);
      }

      assertEquals(new ListenAddress(s.host(), s.port()), config.listen());
      assertEquals(s.mode(), config.mode());
      assertEquals(s.logLevel(), config.logLevel());
      assertEquals(s.repositories(), config.sync().repositories());
      assertEquals(s.window(), config.sync().window());
      assertEquals(s.minFreeMegabytes() << 20, config.storage().minFreeBytes());
      assertEquals(s.maxConnections(), config.http().maxConnections());
    });
  }

  @Test
  void aHundredThousandRepositoriesLoad() throws IOException {
    StringBuilder yaml = new StringBuilder("sync:\n  repositories:\n");
    for (int i = 0; i < 100_000; i++) {
      yaml.append("    - app/r").append(i).append('\n');
    }
    assertEquals(100_000, load("registry.yaml", yaml.toString().getBytes(StandardCharsets.UTF_8))
        .sync().repositories().size());
  }

  // --- hostile files: a configuration or ConfigException ---------------------------------------

  @Test
  void anyTextInAnyFileIsAConfigOrAConfigException() {
    qt().withExamples(300).forAll(anyStrings(500), fileNames())
        .checkAssert((text, name) -> loadedOrRefused(name, text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anyBytesInAnyFileAreAConfigOrAConfigException() {
    qt().withExamples(300).forAll(bytes(0, 500), fileNames()).checkAssert((bytes, name) -> loadedOrRefused(name, bytes));
  }

  @Test
  void yamlShapedTextIsAConfigOrAConfigException() {
    qt().withExamples(300).forAll(yamlShaped(), fileNames())
        .checkAssert((text, name) -> loadedOrRefused(name, text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anyValueOfAnyKeyIsAConfigOrAConfigException() {
    qt().withExamples(300).forAll(keyPaths(), anyValues(), booleans().all()).checkAssert((path, value, json) -> {
      String[] keys = path.split("\\.");
      Object tree = value;
      for (int i = keys.length - 1; i >= 0; i--) {
        tree = Map.of(keys[i], tree);
      }
      try {
        loadedOrRefused(json ? "registry.json" : "registry.yaml", (json ? JSON : YAML).writeValueAsBytes(tree));
      } catch (IOException e) {
        throw new AssertionError("the test could not write its file", e);
      }
    });
  }

  @Test
  void deepNestingIsAConfigException() {
    qt().withExamples(20).forAll(integers().between(1_000, 20_000), pick("[X]", "{a: X}", "{\"a\": X}"), fileNames())
        .checkAssert((depth, nesting, name) -> {
          String open = nesting.substring(0, nesting.indexOf('X'));
          String close = nesting.substring(nesting.indexOf('X') + 1);
          String text = "sync: {repositories: " + open.repeat(depth) + "1" + close.repeat(depth) + "}";
          if (name.endsWith(".json")) {
            text = "{\"sync\": {\"repositories\": " + open.repeat(depth) + "1" + close.repeat(depth) + "}}";
          }
          refused(name, text);
        });
  }

  @Test
  void tenThousandNestedArraysAreAConfigException() {
    refused("registry.json", "[".repeat(10_000) + "]".repeat(10_000));
    refused("registry.yaml", "[".repeat(10_000) + "]".repeat(10_000));
    refused("registry.yaml", "a:\n" + "- ".repeat(10_000) + "x\n");
  }

  @Test
  void aDuplicateKeyIsAConfigException() {
    qt().withExamples(100).forAll(duplicates(), fileNames()).checkAssert((flow, name) -> {
      String text = name.endsWith(".yaml") ? "{" + flow + "}" : toJson(flow);
      ConfigException e = assertThrows(ConfigException.class, () -> load(name, text.getBytes(StandardCharsets.UTF_8)));
      assertTrue(e.getMessage().contains("Duplicate field"), e.getMessage());
    });
  }

  @Test
  void overlongNumbersAreAConfigOrAConfigException() {
    qt().withExamples(40).forAll(numberKeys(), integers().between(1, 50_000), pick("N", "-N", "0.N", "1eN", "1e-N", "N.N"))
        .checkAssert((key, digits, form) -> {
          String number = form.replace("N", "9".repeat(digits));
          String[] keys = key.split("\\.");
          loadedOrRefused("registry.yaml", (keys.length == 1 ? keys[0] + ": " + number
              : keys[0] + ":\n  " + keys[1] + ": " + number + "\n").getBytes(StandardCharsets.UTF_8));
          loadedOrRefused("registry.json", (keys.length == 1 ? "{\"" + keys[0] + "\": " + number + "}"
              : "{\"" + keys[0] + "\": {\"" + keys[1] + "\": " + number + "}}").getBytes(StandardCharsets.UTF_8));
        });
  }

  @Test
  void aYamlAliasBombIsAConfigOrAConfigException() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 12; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [")
          .append(String.join(", ", java.util.Collections.nCopies(10, "*a" + (i - 1)))).append("]\n");
    }
    loadedOrRefused("registry.yaml", yaml.toString().getBytes(StandardCharsets.UTF_8));
  }

  // --- environment and flags: a configuration or ConfigException -----------------------------

  @Test
  void anyEnvironmentValueIsAConfigOrAConfigException() {
    qt().withExamples(1000).forAll(environmentNames(), anyConfigStrings()).checkAssert((name, value) -> {
      try {
        new ConfigLoader(Map.of(name, value)).load(Flags.none());
      } catch (ConfigException expected) {
        assertFalse(expected.getMessage().isBlank());
      }
    });
  }

  @Test
  void anyFlagValueIsAConfigOrAConfigException() {
    qt().withExamples(1000).forAll(integers().between(0, 5), anyConfigStrings()).checkAssert((flag, value) -> {
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
    });
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

  private static Gen<Settings> settings() {
    Gen<String> host = strings(Generate.oneOf(chars('a', 'z'), chars('0', '9'), chars(".-")), 1, 30);
    Gen<String> name = strings(Generate.oneOf(chars('a', 'z'), chars("/*-._")), 1, 20);
    Gen<Settings> listenAndRepositories = host.zip(integers().between(1, 65535), Generate.enumValues(Mode.class),
        Generate.enumValues(LogLevel.class), lists().of(name).ofSizeBetween(0, 10),
        (h, port, mode, level, repositories) -> new Settings(h, port, mode, level, repositories, 0, 0, null));
    return listenAndRepositories.zip(integers().between(8, 100_000), longs().between(0, 1L << 30),
        longs().between(3600, 7 * 86400), (s, connections, minFree, window) -> new Settings(s.host(), s.port(),
            s.mode(), s.logLevel(), s.repositories(), connections, minFree, Duration.ofSeconds(window)));
  }

  private static Gen<String> fileNames() {
    return Generate.pick(FILE_NAMES);
  }

  private static Gen<String> yamlShaped() {
    return joined(Generate.oneOf(strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 6), pick(
        "listen", "sync", "repositories", "storage", "auth", "limits", "http", "parent", "endpoint", "tls", ": ",
        ":", "\n", "\n  ", "\n    ", "- ", "[", "]", "{", "}", ",", "\"", "'", "&a ", "*a", "!!binary ", "!!int ",
        "!!python/object ", "%YAML 1.2\n", "---\n", "...\n", "? ", "|\n  ", ">\n  ", "#", "0x", "1e400", "~",
        "null", "true", "PT1H", "0.0.0.0:5000", "\t", "\u0000", "\ufeff", "\u2028", "\\u0000")), 40);
  }

  private static Gen<String> keyPaths() {
    return pick("listen", "data", "mode", "logLevel", "parent", "parent.endpoint", "parent.protocol",
        "parent.username", "parent.password", "parent.caBundle", "parent.tokenRealms", "sync", "sync.repositories",
        "sync.schedule", "sync.window", "sync.messageTtl", "sync.onDemand", "sync.tags", "sync.tags.include",
        "sync.tags.exclude", "sync.tags.semver", "sync.bandwidth", "tls", "tls.certificate", "tls.key",
        "tls.clientCa", "storage.uploadExpiry", "storage.gcInterval", "storage.gcGrace", "storage.minFreeBytes",
        "storage.uploadMaxAge", "storage.gcEnabled", "storage.gcSchedule", "http.maxConnections", "http.headerTimeout", "http.idleTimeout",
        "http.unauthenticatedIdleTimeout", "http.maxBodyMemory", "http.trustedProxies", "auth.anonymousPull",
        "auth.adminTokens", "auth.tokenLifetime", "auth.failedLoginsPerMinute", "auth.limits",
        "auth.limits.maxTokens", "auth.limits.maxScopeMaps", "auth.limits.maxRulesPerScopeMap",
        "auth.limits.maxClientTokens", "metrics", "metrics.enabled", "metrics.listen", "unknown", "sync.unknown");
  }

  private static Gen<Object> anyValues() {
    Gen<Object> bigIntegers = strings("0123456789", 1, 30).zip(booleans().all(),
        (digits, negative) -> (Object) new BigInteger(negative ? "-" + digits : digits));
    // Text the test's own YAML and JSON writers can encode: no lone surrogates.
    Gen<String> text = configStrings(unicodeStrings(0, 40));
    Gen<Object> scalar = Generate.oneOf(text.map(s -> (Object) s), integers().all().map(i -> (Object) i),
        longs().all().map(l -> (Object) l), doubles().any().map(d -> (Object) d), bigIntegers,
        booleans().all().map(b -> (Object) b), Generate.constant((Object) ""));
    Gen<Object> list = lists().of(text).ofSizeBetween(0, 5).map(l -> (Object) l);
    Gen<Object> map = maps().of(text, text).ofSizeBetween(0, 3).map(m -> (Object) m);
    return Generate.oneOf(scalar, list, map);
  }

  /** Any text, and the values the validators are most likely to trip over. */
  private static Gen<String> anyConfigStrings() {
    return configStrings(anyStrings(40));
  }

  private static Gen<String> configStrings(Gen<String> text) {
    return Generate.oneOf(text, pick("0", "-1", "99999999999999999999",
        "1e400", "PT", "P", "PT-1S", "P99999999999999999D", "PT9223372036854775807S", "[::]:", "[:5000", "]:1",
        ":", "a:0", "a:65536", "a:99999", "0.0.0.0:5000", "* * * * *", "* * * * * * * *", "0/0 * * * *",
        "60 * * * *", "*/0 * * * *", "L W # ?", "0-59/0 * * * *", "((", "[", "\\", "^1.x", ">=", "|| ||",
        "1.2.3 - ", "x.x.x.x", "256.1.1.1/33", "::/129", "1.2.3.4/", "1.2.3.4/999", "https://", "https://:0",
        "https://a:99999", "http://x", "-a", ".a", "9K", "9G", "99999999999999G", "16K", "-1K", "K", "4M",
        "/dev/null", "\u0000", "/proc/self/fd/0"));
  }

  private static Gen<String> duplicates() {
    return pick("listen: \"h\", listen: \"i\"", "sync: {schedule: \"a\", schedule: \"b\"}",
        "sync: {repositories: [\"app/a\"], repositories: [\"app/a\"]}",
        "auth: {limits: {maxTokens: 1, maxTokens: 2}}", "http: {maxConnections: 8}, http: {maxConnections: 9}");
  }

  private static Gen<String> numberKeys() {
    return pick("listen", "data", "mode", "sync.bandwidth", "storage.minFreeBytes", "http.maxConnections",
        "http.maxBodyMemory", "auth.failedLoginsPerMinute", "sync.window", "sync.schedule", "auth.anonymousPull");
  }

  private static Gen<String> environmentNames() {
    return pick("REGISTRY_LISTEN", "REGISTRY_DATA", "REGISTRY_MODE", "REGISTRY_LOG_LEVEL",
        "REGISTRY_TLS_CERTIFICATE", "REGISTRY_TLS_KEY", "REGISTRY_TLS_CLIENT_CA", "REGISTRY_AUTH_ANONYMOUS_PULL",
        "REGISTRY_CONFIG", ConfigLoader.CONNECTION_STRING);
  }
}
