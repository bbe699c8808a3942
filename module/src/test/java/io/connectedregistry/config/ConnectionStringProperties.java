package io.connectedregistry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link ConnectionString} reads {@code ACR_REGISTRY_CONNECTION_STRING}, pasted by a person from
 * the portal: whatever it holds, the registry starts with that parent or refuses with
 * {@link ConfigException}, and the message never holds the password.
 */
class ConnectionStringProperties {

  @Property(tries = 300)
  void aGeneratedConnectionStringParsesToItsParts(@ForAll("values") String name, @ForAll("values") String token,
      @ForAll("passwords") String password, @ForAll("endpoints") String endpoint, @ForAll("protocols") String protocol,
      @ForAll long shuffleSeed, @ForAll boolean upperCaseKeys) {
    List<String> parts = new ArrayList<>(List.of("ConnectedRegistryName=" + name, "SyncTokenName=" + token,
        "SyncTokenPassword=" + password, "ParentGatewayEndpoint=" + endpoint, "ParentEndpointProtocol=" + protocol));
    Collections.shuffle(parts, new Random(shuffleSeed));
    String raw = String.join(";", parts.stream()
        .map(p -> upperCaseKeys ? p.substring(0, p.indexOf('=')).toUpperCase(Locale.ROOT) + p.substring(p.indexOf('=')) : p)
        .toList());

    ConnectionString parsed = ConnectionString.parse("X", raw);

    assertEquals(new ConnectionString(name, token, password, endpoint, protocol), parsed);
    assertFalse(parsed.toString().contains(password), parsed.toString());
    RegistryConfig.ParentConfig parent = parsed.toParent(null);
    assertEquals(endpoint, parent.endpoint());
    assertEquals(protocol, parent.protocol());
    assertEquals(password, parent.password());
  }

  @Property(tries = 1000)
  void anyStringIsAParentOrAConfigException(@ForAll String raw) {
    parentOrRefused(raw, null);
  }

  @Property(tries = 500)
  void anyConnectionShapedStringIsAParentOrAConfigException(@ForAll("connectionShaped") String raw) {
    parentOrRefused(raw, null);
  }

  @Property(tries = 300)
  void invalidUtf8IsAParentOrAConfigException(@ForAll byte[] bytes) {
    parentOrRefused(new String(bytes, StandardCharsets.UTF_8), null);
  }

  @Property(tries = 20)
  void hugeConnectionStringsAreAParentOrAConfigException(@ForAll @IntRange(min = 1_000, max = 100_000) int count,
      @ForAll("hugePieces") String piece) {
    parentOrRefused(piece.repeat(count), null);
  }

  @Property(tries = 300)
  void aRefusalNeverEchoesThePassword(@ForAll("passwords") String password, @ForAll("connectionShaped") String rest) {
    String raw = "SyncTokenPassword=" + password + ";" + rest;
    parentOrRefused(raw, password);
  }

  private static void parentOrRefused(String raw, String password) {
    try {
      // As the loader does: the environment variable, then the parent it names.
      RegistryConfig config = new ConfigLoader(Map.of(ConfigLoader.CONNECTION_STRING, raw))
          .load(ConfigLoader.Flags.none());
      if (!raw.isBlank()) {
        assertNotNull(config.parent());
      }
    } catch (ConfigException e) {
      if (password != null) {
        assertFalse(e.getMessage().contains(password), e.getMessage());
      }
    }
  }

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.strings().withCharRange('!', '~').withCharRange('\u00c0', '\u017f').ofMinLength(1).ofMaxLength(30)
        .filter(v -> !v.contains(";"));
  }

  /** Passwords as ACR makes them (and with '=' in them), long enough not to appear by chance. */
  @Provide
  Arbitrary<String> passwords() {
    return Arbitraries.strings().withCharRange('!', '~').ofMinLength(12).ofMaxLength(44)
        .filter(v -> !v.contains(";") && !v.contains("://"));
  }

  @Provide
  Arbitrary<String> endpoints() {
    Arbitrary<String> host = Arbitraries.strings().withCharRange('a', 'z').withChars(".-").ofMinLength(1).ofMaxLength(20);
    return host.flatMap(h -> Arbitraries.integers().between(1, 65535).injectNull(0.3)
        .map(port -> port == null ? h : h + ":" + port));
  }

  @Provide
  Arbitrary<String> protocols() {
    return Arbitraries.of("http", "https");
  }

  @Provide
  Arbitrary<String> connectionShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(values(), Arbitraries.of(";", "=", " ", "ConnectedRegistryName",
        "SyncTokenName", "SyncTokenPassword", "ParentGatewayEndpoint", "ParentEndpointProtocol", "http", "https",
        "://", "https://p:1", "ftp://x", "\u0000", "\r\n", "[::1]:5000", ":"));
    return piece.list().ofMaxSize(25).map(pieces -> String.join("", pieces));
  }

  @Provide
  Arbitrary<String> hugePieces() {
    return Arbitraries.of(";", "=", "a=b;", "SyncTokenName=x;", "ParentGatewayEndpoint=h;", "ParentEndpointProtocol=ftp;");
  }
}
