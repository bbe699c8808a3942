package io.connectedregistry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConfigLoaderTest {

  @TempDir Path dir;

  private final Map<String, String> env = new HashMap<>();

  // --- defaults ------------------------------------------------------------------------------

  @Test
  void with_nothing_configured_the_defaults_describe_a_root_registry_on_localhost() {
    RegistryConfig config = load(Flags.none());

    assertEquals(new ListenAddress("127.0.0.1", 5000), config.listen());
    assertEquals(Path.of("./data"), config.data());
    assertEquals(Mode.ReadWrite, config.mode());
    assertNull(config.parent());
    assertEquals(List.of(), config.sync().repositories());
    assertEquals("* * * * *", config.sync().schedule());
    assertNull(config.sync().window());
    assertEquals(Duration.ofDays(2), config.sync().messageTtl());
    assertFalse(config.sync().onDemand());
    assertEquals(LogLevel.Information, config.logLevel());
    assertNull(config.tls());
    assertEquals(Duration.ofHours(24), config.storage().uploadExpiry());
    assertNull(config.storage().gcInterval());
    assertTrue(config.storage().gcEnabled());
    assertNull(config.storage().gcSchedule());
    assertEquals(Duration.ofHours(1), config.storage().gcGrace());
    assertEquals(config, ConfigLoader.defaults());
  }

  @Test
  void an_empty_file_means_all_defaults() throws IOException {
    assertEquals(ConfigLoader.defaults(), loadFile("empty.yaml", ""));
  }

  // --- files ---------------------------------------------------------------------------------

  @Test
  void a_yaml_file_sets_every_key() throws IOException {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "cert");
    Path key = Files.writeString(dir.resolve("tls.key"), "key");
    Path clientCa = Files.writeString(dir.resolve("client-ca.crt"), "ca");

    RegistryConfig config =
        loadFile(
            "registry.yaml",
            """
            listen: 0.0.0.0:8080
            data: /var/acr/data
            mode: ReadWrite
            parent:
              endpoint: parent.example:8443
              protocol: http
              username: sync-token
              password: s3cret
              caBundle: %s
            sync:
              repositories: ["app/*", hello-world]
              schedule: "0 */2 * * *"
              window: PT4H
              messageTtl: P10D
              onDemand: true
              tags: {include: 'v.*', exclude: '.*-rc.*', semver: '>=1.2.0 <2'}
              bandwidth: 2M
            logLevel: Debug
            tls:
              certificate: %s
              key: %s
              clientCa: %s
            storage:
              uploadExpiry: PT2H
              gcInterval: PT6H
              gcGrace: PT0S
              gcEnabled: false
              gcSchedule: "30 3 * * 0"
            """
                .formatted(clientCa, cert, key, clientCa));

    assertEquals(new ListenAddress("0.0.0.0", 8080), config.listen());
    assertEquals(Path.of("/var/acr/data"), config.data());
    assertEquals(Mode.ReadWrite, config.mode());
    assertEquals(new RegistryConfig.ParentConfig("parent.example:8443", "http", "sync-token",
        "s3cret", clientCa, null), config.parent());
    assertFalse(config.parent().toString().contains("s3cret"), config.parent().toString());
    assertEquals(
        new RegistryConfig.SyncConfig(
            List.of("app/*", "hello-world"), "0 */2 * * *", Duration.ofHours(4),
            Duration.ofDays(10), true,
            new RegistryConfig.TagFilterConfig("v.*", ".*-rc.*", ">=1.2.0 <2"), 2L * 1024 * 1024),
        config.sync());
    assertEquals(LogLevel.Debug, config.logLevel());
    assertEquals(new RegistryConfig.TlsConfig(cert, key, clientCa), config.tls());
    assertEquals(
        new RegistryConfig.StorageConfig(Duration.ofHours(2), Duration.ofHours(6), Duration.ZERO,
            512L << 20, Duration.ofDays(7), false, "30 3 * * 0"),
        config.storage());
  }

  @Test
  void a_json_file_is_read_the_same_way() throws IOException {
    RegistryConfig config =
        loadFile(
            "registry.json",
            """
            {"listen": "10.0.0.1:5001", "mode": "ReadOnly",
             "sync": {"repositories": ["a"], "window": "P7D", "onDemand": true},
             "storage": {"gcGrace": "PT30M"}}
            """);

    assertEquals(new ListenAddress("10.0.0.1", 5001), config.listen());
    assertEquals(Mode.ReadOnly, config.mode());
    assertEquals(List.of("a"), config.sync().repositories());
    assertEquals(Duration.ofDays(7), config.sync().window());
    assertTrue(config.sync().onDemand());
    assertEquals(Duration.ofMinutes(30), config.storage().gcGrace());
  }

  @Test
  void json_content_is_recognised_without_a_json_extension() throws IOException {
    RegistryConfig config = loadFile("registry.conf", "{\"listen\": \"[::]:6000\"}");

    assertEquals(new ListenAddress("::", 6000), config.listen());
  }

  @Test
  void the_file_can_be_named_by_the_environment() throws IOException {
    Path file = Files.writeString(dir.resolve("env.yaml"), "data: /from/env/file\n");
    env.put("REGISTRY_CONFIG", file.toString());

    assertEquals(Path.of("/from/env/file"), load(Flags.none()).data());
  }

  @Test
  void the_config_flag_names_the_file_over_the_environment() throws IOException {
    Path fromEnv = Files.writeString(dir.resolve("env.yaml"), "data: /env\n");
    Path fromFlag = Files.writeString(dir.resolve("flag.yaml"), "data: /flag\n");
    env.put("REGISTRY_CONFIG", fromEnv.toString());

    assertEquals(Path.of("/flag"), load(Flags.none().withConfig(fromFlag)).data());
  }

  @Test
  void a_missing_file_is_refused_naming_where_it_was_named() {
    String message = failure(Flags.none().withConfig(dir.resolve("nope.yaml")));

    assertTrue(message.startsWith("--config: "), message);
    assertTrue(message.contains("does not exist"), message);
  }

  @Test
  void a_file_that_does_not_parse_is_refused_on_one_line_with_its_position() throws IOException {
    String message = loadFileFailure("broken.yaml", "listen: [unclosed\n");

    assertTrue(message.startsWith("cannot parse "), message);
    assertTrue(message.contains("line "), message);
    assertFalse(message.contains("\n"), message);
  }

  @Test
  void a_duplicated_key_is_refused() throws IOException {
    String message = loadFileFailure("dup.yaml", "mode: ReadOnly\nmode: ReadWrite\n");

    assertTrue(message.contains("mode"), message);
  }

  // --- layering ------------------------------------------------------------------------------

  @Test
  void environment_variables_override_the_file() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("r.yaml"),
            "listen: 0.0.0.0:1\ndata: /file\nmode: ReadOnly\nlogLevel: Error\n");
    env.put("REGISTRY_LISTEN", "0.0.0.0:2");
    env.put("REGISTRY_DATA", "/env");
    env.put("REGISTRY_MODE", "ReadWrite");
    env.put("REGISTRY_LOG_LEVEL", "Warning");

    RegistryConfig config = load(Flags.none().withConfig(file));

    assertEquals(new ListenAddress("0.0.0.0", 2), config.listen());
    assertEquals(Path.of("/env"), config.data());
    assertEquals(Mode.ReadWrite, config.mode());
    assertEquals(LogLevel.Warning, config.logLevel());
  }

  @Test
  void tls_can_be_configured_by_environment_variables_alone() throws IOException {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "cert");
    Path key = Files.writeString(dir.resolve("tls.key"), "key");
    Path clientCa = Files.writeString(dir.resolve("ca.crt"), "ca");
    env.put("REGISTRY_TLS_CERTIFICATE", cert.toString());
    env.put("REGISTRY_TLS_KEY", key.toString());

    assertEquals(new RegistryConfig.TlsConfig(cert, key, null), load(Flags.none()).tls());

    env.put("REGISTRY_TLS_CLIENT_CA", clientCa.toString());
    assertEquals(new RegistryConfig.TlsConfig(cert, key, clientCa), load(Flags.none()).tls());
  }

  @Test
  void tls_environment_variables_override_the_files_tls_keys_one_by_one() throws IOException {
    Path cert = Files.writeString(dir.resolve("file.crt"), "cert");
    Path key = Files.writeString(dir.resolve("file.key"), "key");
    Path envCert = Files.writeString(dir.resolve("env.crt"), "cert");
    Path clientCa = Files.writeString(dir.resolve("ca.crt"), "ca");
    Path file = Files.writeString(
        dir.resolve("tls.yaml"), "tls: {certificate: %s, key: %s}\n".formatted(cert, key));
    env.put("REGISTRY_TLS_CERTIFICATE", envCert.toString());
    env.put("REGISTRY_TLS_CLIENT_CA", clientCa.toString());

    assertEquals(
        new RegistryConfig.TlsConfig(envCert, key, clientCa),
        load(Flags.none().withConfig(file)).tls());
  }

  @Test
  void a_tls_certificate_without_a_key_in_the_environment_is_refused_naming_the_missing_variable()
      throws IOException {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "cert");
    env.put("REGISTRY_TLS_CERTIFICATE", cert.toString());
    assertTrue(failure(Flags.none()).startsWith("REGISTRY_TLS_KEY: required"));

    env.clear();
    env.put("REGISTRY_TLS_CLIENT_CA", cert.toString());
    assertTrue(failure(Flags.none()).startsWith("REGISTRY_TLS_CERTIFICATE: required"));
  }

  @Test
  void flags_override_environment_variables() {
    env.put("REGISTRY_LISTEN", "0.0.0.0:2");
    env.put("REGISTRY_DATA", "/env");
    env.put("REGISTRY_MODE", "ReadWrite");
    env.put("REGISTRY_LOG_LEVEL", "Warning");

    RegistryConfig config =
        load(
            Flags.none()
                .withListen("0.0.0.0:3")
                .withData("/flag")
                .withMode("ReadOnly")
                .withLogLevel("None"));

    assertEquals(new ListenAddress("0.0.0.0", 3), config.listen());
    assertEquals(Path.of("/flag"), config.data());
    assertEquals(Mode.ReadOnly, config.mode());
    assertEquals(LogLevel.None, config.logLevel());
  }

  @Test
  void a_blank_environment_variable_counts_as_unset() {
    env.put("REGISTRY_MODE", "");
    env.put("REGISTRY_LISTEN", " ");

    assertEquals(ConfigLoader.defaults(), load(Flags.none()));
  }

  @Test
  void the_grace_flag_overrides_the_files_gc_grace() throws IOException {
    Path file = Files.writeString(dir.resolve("r.yaml"), "storage: {gcGrace: PT5H}\n");

    RegistryConfig config = load(Flags.none().withConfig(file).withGrace("PT0S"));

    assertEquals(Duration.ZERO, config.storage().gcGrace());
  }

  // --- mode ----------------------------------------------------------------------------------

  @Test
  void a_registry_with_a_parent_defaults_to_read_only() throws IOException {
    RegistryConfig config = loadFile("r.yaml", "parent: {endpoint: parent.example}\n");

    assertEquals(Mode.ReadOnly, config.mode());
    assertEquals(new RegistryConfig.ParentConfig("parent.example", "https"), config.parent());
  }

  @Test
  void an_explicit_mode_wins_over_the_parent_default() throws IOException {
    RegistryConfig config =
        loadFile("r.yaml", "mode: ReadWrite\nparent: {endpoint: parent.example}\n");

    assertEquals(Mode.ReadWrite, config.mode());
  }

  @Test
  void a_mode_flag_wins_over_the_parent_default_too() throws IOException {
    Path file = Files.writeString(dir.resolve("r.yaml"), "parent: {endpoint: parent.example}\n");

    assertEquals(Mode.ReadWrite, load(Flags.none().withConfig(file).withMode("ReadWrite")).mode());
  }

  @Test
  void a_parent_url_decides_the_protocol() throws IOException {
    RegistryConfig config = loadFile("r.yaml", "parent: {endpoint: 'http://127.0.0.1:5001'}\n");

    assertEquals("http", config.parent().protocol());
  }

  // --- unknown keys --------------------------------------------------------------------------

  @Test
  void an_unknown_nested_key_is_refused_with_its_path_and_the_file() throws IOException {
    String message = loadFileFailure("x.yaml", "sync:\n  windo: PT1H\n");

    assertTrue(
        message.startsWith("unknown configuration key 'sync.windo'"), message);
    assertTrue(message.contains("window"), "lists the accepted keys: " + message);
    assertTrue(message.contains(dir.resolve("x.yaml").toString()), message);
  }

  @Test
  void every_bad_key_of_the_file_environment_and_flags_is_named_at_once() throws IOException {
    env.put("REGISTRY_MODE", "Sometimes");
    Path file = Files.writeString(dir.resolve("bad.yaml"), "logLevel: Loud\nsync: {windo: PT1H}\n");

    ConfigException e = assertThrows(ConfigException.class,
        () -> load(Flags.none().withConfig(file).withListen("nowhere")));

    assertEquals(4, e.problems().size(), e.getMessage());
    for (String key : List.of("logLevel", "'sync.windo'", "REGISTRY_MODE", "--listen")) {
      assertTrue(e.getMessage().contains(key), () -> key + " should be named: " + e.getMessage());
    }
  }

  @Test
  void an_unknown_top_level_key_is_refused_with_its_name() throws IOException {
    String message = loadFileFailure("x.json", "{\"Mode\": \"ReadOnly\"}");

    assertTrue(message.startsWith("unknown configuration key 'Mode'"), message);
  }

  @Test
  void the_http_section_sets_connection_limits_timeouts_body_memory_and_trusted_proxies()
      throws IOException {
    RegistryConfig config = loadFile("http.yaml", """
        http:
          maxConnections: 64
          headerTimeout: PT5S
          idleTimeout: PT30S
          unauthenticatedIdleTimeout: PT3S
          maxBodyMemory: 8M
          trustedProxies: [172.18.0.1, '10.0.0.0/8', '::1']
        """);

    assertEquals(new RegistryConfig.HttpConfig(64, Duration.ofSeconds(5), Duration.ofSeconds(30),
        Duration.ofSeconds(3), 8L << 20, List.of("172.18.0.1", "10.0.0.0/8", "::1")), config.http());
    assertEquals(RegistryConfig.HttpConfig.DEFAULTS, load(Flags.none()).http());
  }

  @Test
  void metrics_are_on_without_a_listener_by_default_and_the_section_sets_both() throws IOException {
    assertEquals(new RegistryConfig.MetricsConfig(true, null), load(Flags.none()).metrics());

    RegistryConfig config = loadFile("m.yaml", "metrics: {enabled: false, listen: '127.0.0.1:9090'}\n");
    assertEquals(new RegistryConfig.MetricsConfig(false, new RegistryConfig.ListenAddress("127.0.0.1", 9090)),
        config.metrics());

    String sameAddress = loadFileFailure("same.yaml", "{listen: '0.0.0.0:5000', metrics: {listen: '127.0.0.1:5000'}}\n");
    assertTrue(sameAddress.startsWith("metrics.listen: 127.0.0.1:5000 is the registry's own address"
        + " (listen 0.0.0.0:5000)"), sameAddress);
    assertEquals(9090, loadFile("other.yaml", "{listen: '10.0.0.5:9090', metrics: {listen: '127.0.0.1:9090'}}\n")
        .metrics().listen().port(), "another host, same port: two sockets");
  }

  @Test
  void free_space_upload_age_and_token_realms_have_defaults_and_can_be_set() throws IOException {
    RegistryConfig defaults = load(Flags.none());
    assertEquals(512L << 20, defaults.storage().minFreeBytes());
    assertEquals(Duration.ofDays(7), defaults.storage().uploadMaxAge());

    RegistryConfig config = loadFile("s.yaml", """
        storage: {minFreeBytes: 2G, uploadMaxAge: P2D}
        parent:
          endpoint: https://registry-1.docker.io
          tokenRealms: ['https://auth.docker.io/token', 'Auth.Example:8443']
        """);
    assertEquals(2L << 30, config.storage().minFreeBytes());
    assertEquals(Duration.ofDays(2), config.storage().uploadMaxAge());
    assertEquals(List.of("auth.docker.io:443", "auth.example:8443"), config.parent().tokenRealms());
  }

  @Test
  void login_server_is_unset_by_default_and_takes_host_and_optional_port() throws IOException {
    assertEquals(null, load(Flags.none()).loginServer());
    assertEquals("root.example.com", loadFile("l.yaml", "loginServer: root.example.com\n").loginServer());
    assertEquals("10.0.0.5:5000", loadFile("l.yaml", "loginServer: '10.0.0.5:5000'\n").loginServer());
    assertEquals("[fd00::5]:5000", loadFile("l.yaml", "loginServer: '[fd00::5]:5000'\n").loginServer());
  }

  @Test
  void the_config_file_is_watched_every_ten_seconds_by_default_and_zero_turns_it_off() throws IOException {
    assertEquals(Duration.ofSeconds(10), load(Flags.none()).configWatchInterval());
    assertEquals(Duration.ofSeconds(2), loadFile("w.yaml", "configWatchInterval: PT2S\n").configWatchInterval());
    assertEquals(Duration.ZERO, loadFile("w.yaml", "configWatchInterval: PT0S\n").configWatchInterval());
  }

  @Test
  void a_connection_string_keeps_the_files_token_realms() throws IOException {
    env.put(ConfigLoader.CONNECTION_STRING, "ConnectedRegistryName=edge;SyncTokenName=sync;"
        + "SyncTokenPassword=pw;ParentGatewayEndpoint=parent.example;ParentEndpointProtocol=https");
    RegistryConfig config = loadFile("r.yaml",
        "parent: {endpoint: other.example, tokenRealms: ['https://auth.example']}\n");
    assertEquals("parent.example", config.parent().endpoint());
    assertEquals(List.of("auth.example:443"), config.parent().tokenRealms());
  }

  // --- bad values ----------------------------------------------------------------------------

  static Stream<Arguments> badFileValues() {
    return Stream.of(
        arguments("mode: readwrite", "mode: 'readwrite' is not one of ReadOnly, ReadWrite"),
        arguments(
            "logLevel: Info",
            "logLevel: 'Info' is not one of Debug, Information, Warning, Error, None"),
        arguments("listen: abc", "listen: 'abc' is not HOST:PORT"),
        arguments("listen: 'host:0'", "listen: 'host:0' has port 0; the port must be 1..65535"),
        arguments("listen: 'host:65536'", "listen: 'host:65536' has port 65536"),
        arguments("listen: ':5000'", "listen: ':5000' is not HOST:PORT"),
        arguments("listen: 'a:b:5000'", "listen: 'a:b:5000' is not HOST:PORT"),
        arguments("data: ''", "data: must not be empty"),
        arguments(
            "parent: {endpoint: x, protocol: ftp}",
            "parent.protocol: 'ftp' is not one of http, https"),
        arguments("parent: {protocol: https}", "parent.endpoint: required"),
        arguments(
            "parent: {endpoint: 'ftp://x'}",
            "parent.endpoint: 'ftp://x' must be HOST[:PORT] or an http:// or https:// URL"),
        arguments(
            "parent: {endpoint: 'https://x', protocol: http}",
            "parent.protocol: 'http' contradicts the scheme"),
        arguments("sync: {schedule: \"\"}", "sync.schedule: must not be empty"),
        arguments("sync: {window: 4h}", "sync.window: '4h' is not an ISO-8601 duration"),
        arguments("sync: {onDemand: maybe}", "sync.onDemand: 'maybe' is not one of true, false"),
        arguments("sync: {repositories: app}", "sync.repositories: expected a list"),
        arguments(
            "sync: {repositories: [a, \"\"]}",
            "sync.repositories[1]: '' is not a repository name or wildcard"),
        arguments("sync: {schedule: [a]}", "sync.schedule: expected a single value, not a list"),
        arguments(
            "tls: {certificate: /no/such.crt, key: k}",
            "tls.certificate: '/no/such.crt' is not a readable file"),
        arguments("tls: {key: k}", "tls.certificate: required"),
        arguments(
            "tls: {clientCa: /no/such-ca.crt}",
            "tls.clientCa: '/no/such-ca.crt' is not a readable file"),
        arguments(
            "storage: {uploadExpiry: PT0S}", "storage.uploadExpiry: 'PT0S' must be longer than zero"),
        arguments(
            "storage: {gcInterval: -PT1H}", "storage.gcInterval: '-PT1H' must be longer than zero"),
        arguments("storage: {gcGrace: -PT1S}", "storage.gcGrace: '-PT1S' must not be negative"),
        arguments("storage: {gcSchedule: nightly}",
            "storage.gcSchedule: 'nightly' is not a cron expression"),
        arguments("storage: {gcSchedule: '0 0 * *'}",
            "storage.gcSchedule: '0 0 * *' is not a cron expression"),
        arguments("storage: {gcSchedule: ''}", "storage.gcSchedule: must not be empty"),
        arguments("storage: {gcEnabled: sometimes}",
            "storage.gcEnabled: 'sometimes' is not one of true, false"),
        arguments("sync: 5", "sync: expected a mapping with keys repositories"),
        arguments("sync: {schedule: 'every minute'}", "sync.schedule: 'every minute' is not a cron expression"),
        arguments("sync: {schedule: '* * * *'}", "sync.schedule: '* * * *' is not a cron expression"),
        arguments("sync: {bandwidth: fast}", "sync.bandwidth: 'fast' is not bytes per second"),
        arguments("sync: {bandwidth: 1K}", "sync.bandwidth: '1K' is below 16K bytes per second"),
        arguments("sync: {tags: {include: '(v'}}", "sync.tags.include: '(v' is not a regular expression"),
        arguments("sync: {tags: {semver: 'not a range'}}", "sync.tags.semver: 'not a range' is not a version range"),
        arguments("parent: {endpoint: x, username: u}", "parent.password: required with parent.username"),
        arguments("auth: {anonymousPull: maybe}", "auth.anonymousPull: 'maybe' is not one of true, false"),
        arguments("auth: {adminTokens: ops}", "auth.adminTokens: expected a list of token names"),
        arguments("auth: {adminTokens: [ops, '']}", "auth.adminTokens[1]: '' is not a token name"),
        arguments("auth: {tokenLifetime: PT30S}", "auth.tokenLifetime: 'PT30S' is not between PT1M and PT24H"),
        arguments("auth: {failedLoginsPerMinute: 0}", "auth.failedLoginsPerMinute: 0 is not between 1 and 10000"),
        arguments("auth: {failedLoginsPerMinute: many}", "auth.failedLoginsPerMinute: 'many' is not a whole number"),
        arguments("auth: {limits: {maxTokens: 20001}}", "auth.limits.maxTokens: 20001 is not between 1 and 20000"),
        arguments("auth: {limits: {maxRulesPerScopeMap: 501}}",
            "auth.limits.maxRulesPerScopeMap: 501 is not between 1 and 500"),
        arguments("auth: {limits: {tokens: 5}}", "unknown configuration key 'limits.tokens'"),
        arguments("storage: {minFreeBytes: lots}", "storage.minFreeBytes: 'lots' is not a size in bytes"),
        arguments("storage: {uploadMaxAge: PT1S}", "storage.uploadMaxAge: 'PT1S' is not between PT1M and P90D"),
        arguments("http: {maxConnections: 2}", "http.maxConnections: 2 is not between 8 and 100000"),
        arguments("http: {headerTimeout: PT0S}", "http.headerTimeout: 'PT0S' is not between PT1S and PT10M"),
        arguments("http: {maxBodyMemory: 1M}", "http.maxBodyMemory: '1M' is below 4M"),
        arguments("http: {trustedProxies: [proxy.local]}",
            "http.trustedProxies[0]: 'proxy.local' is not an IP address or CIDR range"),
        arguments("http: {trustedProxies: ['10.0.0.0/33']}",
            "http.trustedProxies[0]: '10.0.0.0/33' has a bad prefix length"),
        arguments("parent: {endpoint: x, tokenRealms: ['http://auth.example']}",
            "parent.tokenRealms[0]: 'http://auth.example' is not https"),
        arguments("http: {timeout: PT1S}", "unknown configuration key 'http.timeout'"),
        arguments("metrics: {listen: '9090'}", "metrics.listen: '9090' is not HOST:PORT"),
        arguments("metrics: {enabled: maybe}", "metrics.enabled: 'maybe' is not one of true, false"),
        arguments("loginServer: 'https://root.example'", "loginServer: 'https://root.example' is not HOST[:PORT]"),
        arguments("loginServer: 'root.example:0'", "loginServer: 'root.example:0' has port '0'"),
        arguments("loginServer: '0.0.0.0:5000'", "loginServer: '0.0.0.0:5000' is a wildcard listen address"),
        arguments("configWatchInterval: PT0.5S",
            "configWatchInterval: 'PT0.5S' is not PT0S (off) nor between PT1S and PT1H"),
        arguments("configWatchInterval: 10", "configWatchInterval: '10' is not an ISO-8601 duration"),
        arguments("- a list", "the top level: expected a mapping"));
  }

  @ParameterizedTest(name = "{0} is refused")
  @MethodSource("badFileValues")
  void a_bad_value_in_the_file_is_refused_naming_the_key(String yaml, String expected)
      throws IOException {
    String message = loadFileFailure("bad.yaml", yaml + "\n");

    assertTrue(message.startsWith(expected), message);
    assertTrue(message.endsWith("(in " + dir.resolve("bad.yaml") + ")"), message);
    assertFalse(message.contains("\n"), message);
  }

  @Test
  void the_auth_section_sets_anonymous_access_admins_lifetime_and_lowered_limits() throws IOException {
    RegistryConfig config = loadFile("auth.yaml", """
        auth:
          anonymousPull: true
          adminTokens: [ops, control-plane]
          tokenLifetime: PT15M
          failedLoginsPerMinute: 3
          limits: {maxTokens: 100, maxScopeMaps: 50, maxRulesPerScopeMap: 10}
        """);
    RegistryConfig.AuthConfig auth = config.auth();
    assertEquals(Boolean.TRUE, auth.anonymousPull());
    assertEquals(List.of("ops", "control-plane"), auth.adminTokens());
    assertEquals(Duration.ofMinutes(15), auth.tokenLifetime());
    assertEquals(3, auth.failedLoginsPerMinute());
    assertEquals(List.of(100, 50, 10),
        List.of(auth.maxTokens(), auth.maxScopeMaps(), auth.maxRulesPerScopeMap()));
  }

  @ParameterizedTest(name = "{0} with anonymousPull {1} -> {2}")
  @CsvSource(nullValues = "null", value = {
      "127.0.0.1:5000, null, FULL",
      "localhost:5000, null, FULL",
      "[::1]:5000, null, FULL",
      "0.0.0.0:8080, null, NONE",
      "192.168.1.10:5000, null, NONE",
      "127.0.0.1:5000, false, NONE",
      "127.0.0.1:5000, true, PULL",
      "0.0.0.0:8080, true, PULL"})
  void anonymous_access_is_full_on_loopback_by_default_and_explicit_elsewhere(
      String listen, String anonymousPull, String expected) {
    if (anonymousPull != null) {
      env.put("REGISTRY_AUTH_ANONYMOUS_PULL", anonymousPull);
    }
    RegistryConfig config = load(Flags.none().withListen(listen));
    assertEquals(RegistryConfig.AuthConfig.Anonymous.valueOf(expected),
        config.auth().anonymous(config.listen()));
  }

  @Test
  void the_connection_string_names_the_parent_the_sync_token_and_the_registry() {
    env.put("ACR_REGISTRY_CONNECTION_STRING", "ConnectedRegistryName=factory1;SyncTokenName=factory1-sync;"
        + "SyncTokenPassword=p@ss=word;ParentGatewayEndpoint=parent.example:8443;ParentEndpointProtocol=http");
    RegistryConfig config = load(Flags.none());
    assertEquals(new RegistryConfig.ParentConfig("parent.example:8443", "http", "factory1-sync",
        "p@ss=word", null, "factory1"), config.parent());
    assertEquals(Mode.ReadOnly, config.mode(), "a connected registry defaults to ReadOnly");
  }

  @Test
  void a_connection_string_without_the_password_is_refused_without_echoing_it() {
    env.put("ACR_REGISTRY_CONNECTION_STRING",
        "ConnectedRegistryName=f;SyncTokenName=t;ParentGatewayEndpoint=p:1");
    ConfigException e = assertThrows(ConfigException.class, () -> load(Flags.none()));
    assertEquals("ACR_REGISTRY_CONNECTION_STRING: SyncTokenPassword is missing", e.getMessage());
  }

  static Stream<Arguments> badEnvironmentValues() {
    return Stream.of(
        arguments(
            "REGISTRY_MODE", "readonly",
            "REGISTRY_MODE: 'readonly' is not one of ReadOnly, ReadWrite"),
        arguments(
            "REGISTRY_LOG_LEVEL", "verbose",
            "REGISTRY_LOG_LEVEL: 'verbose' is not one of Debug, Information, Warning, Error, None"),
        arguments("REGISTRY_LISTEN", "5000", "REGISTRY_LISTEN: '5000' is not HOST:PORT"),
        arguments("REGISTRY_LISTEN", "h:99999", "REGISTRY_LISTEN: 'h:99999' has port 99999"),
        arguments(
            "REGISTRY_CONFIG", "/no/such.yaml", "REGISTRY_CONFIG: '/no/such.yaml' does not exist"),
        arguments(
            "REGISTRY_TLS_CERTIFICATE", "/no/such.crt",
            "REGISTRY_TLS_CERTIFICATE: '/no/such.crt' is not a readable file"),
        arguments(
            "REGISTRY_TLS_KEY", "/no/such.key", "REGISTRY_TLS_KEY: '/no/such.key' is not a readable file"),
        arguments(
            "REGISTRY_TLS_CLIENT_CA", "/no/such-ca.crt",
            "REGISTRY_TLS_CLIENT_CA: '/no/such-ca.crt' is not a readable file"));
  }

  @ParameterizedTest(name = "{0}={1} is refused")
  @MethodSource("badEnvironmentValues")
  void a_bad_environment_variable_is_refused_naming_the_variable(
      String variable, String value, String expected) {
    env.put(variable, value);

    String message = failure(Flags.none());

    assertTrue(message.startsWith(expected), message);
  }

  @Test
  void a_bad_flag_is_refused_naming_the_flag() {
    assertEquals(
        "--mode: 'rw' is not one of ReadOnly, ReadWrite", failure(Flags.none().withMode("rw")));
    assertTrue(
        failure(Flags.none().withListen("nope")).startsWith("--listen: 'nope' is not HOST:PORT"));
    assertTrue(
        failure(Flags.none().withLogLevel("debug")).startsWith("--log-level: 'debug' is not one of"));
    assertTrue(failure(Flags.none().withData("")).startsWith("--data: must not be empty"));
    assertTrue(
        failure(Flags.none().withGrace("1h")).startsWith("--grace: '1h' is not an ISO-8601 duration"));
  }

  // --- bounds --------------------------------------------------------------------------------

  @ParameterizedTest(name = "window {0} is accepted")
  @CsvSource({"PT1H", "PT4H", "P7D", "PT168H"})
  void a_sync_window_from_one_hour_to_seven_days_is_accepted(String window) throws IOException {
    assertEquals(
        Duration.parse(window), loadFile("w.yaml", "sync: {window: " + window + "}").sync().window());
  }

  @ParameterizedTest(name = "window {0} is refused")
  @CsvSource({"PT59M", "PT59M59.999S", "P7DT1S", "P8D"})
  void a_sync_window_outside_one_hour_to_seven_days_is_refused(String window) throws IOException {
    String message = loadFileFailure("w.yaml", "sync: {window: " + window + "}");

    assertTrue(
        message.startsWith("sync.window: '" + window + "' is not between PT1H and P7D"), message);
  }

  @ParameterizedTest(name = "messageTtl {0} is accepted")
  @CsvSource({"P1D", "P2D", "P90D", "PT24H"})
  void a_message_ttl_from_one_to_ninety_days_is_accepted(String ttl) throws IOException {
    assertEquals(
        Duration.parse(ttl), loadFile("t.yaml", "sync: {messageTtl: " + ttl + "}").sync().messageTtl());
  }

  @ParameterizedTest(name = "messageTtl {0} is refused")
  @CsvSource({"PT23H59M", "P91D", "P90DT1S"})
  void a_message_ttl_outside_one_to_ninety_days_is_refused(String ttl) throws IOException {
    String message = loadFileFailure("t.yaml", "sync: {messageTtl: " + ttl + "}");

    assertTrue(
        message.startsWith("sync.messageTtl: '" + ttl + "' is not between P1D and P90D"), message);
  }

  // --- helpers -------------------------------------------------------------------------------

  private RegistryConfig load(Flags flags) {
    return new ConfigLoader(env).load(flags);
  }

  private String failure(Flags flags) {
    return assertThrows(ConfigException.class, () -> load(flags)).getMessage();
  }

  private RegistryConfig loadFile(String name, String content) throws IOException {
    return load(Flags.none().withConfig(Files.writeString(dir.resolve(name), content)));
  }

  private String loadFileFailure(String name, String content) throws IOException {
    return failure(Flags.none().withConfig(Files.writeString(dir.resolve(name), content)));
  }
}
