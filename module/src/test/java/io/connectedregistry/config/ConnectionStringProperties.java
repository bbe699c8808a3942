package io.connectedregistry.config;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link ConnectionString} reads {@code ACR_REGISTRY_CONNECTION_STRING}, pasted by a person from
 * the portal: whatever it holds, the registry starts with that parent or refuses with
 * {@link ConfigException}, and the message never holds the password.
 */
class ConnectionStringProperties {

  @Test
  void aGeneratedConnectionStringParsesToItsParts() {
    Gen<ConnectionString> strings = values().zip(values(), passwords(), endpoints(), pick("http", "https"),
        ConnectionString::new);
    qt().withExamples(300).forAll(strings, longs().all(), booleans().all()).checkAssert((s, shuffleSeed, upperCaseKeys) -> {
      List<String> parts = new ArrayList<>(List.of("ConnectedRegistryName=" + s.registryName(), "SyncTokenName=" + s.tokenName(),
          "SyncTokenPassword=" + s.tokenPassword(), "ParentGatewayEndpoint=" + s.parentEndpoint(),
          "ParentEndpointProtocol=" + s.parentProtocol()));
      Collections.shuffle(parts, new Random(shuffleSeed));
      String raw = String.join(";", parts.stream()
          .map(p -> upperCaseKeys ? p.substring(0, p.indexOf('=')).toUpperCase(Locale.ROOT) + p.substring(p.indexOf('=')) : p)
          .toList());

      ConnectionString parsed = ConnectionString.parse("X", raw);

      assertEquals(s, parsed);
      assertFalse(parsed.toString().contains(s.tokenPassword()), parsed.toString());
      RegistryConfig.ParentConfig parent = parsed.toParent(null);
      assertEquals(s.parentEndpoint(), parent.endpoint());
      assertEquals(s.parentProtocol(), parent.protocol());
      assertEquals(s.tokenPassword(), parent.password());
    });
  }

  @Test
  void anyStringIsAParentOrAConfigException() {
    qt().withExamples(1000).forAll(anyStrings(300)).checkAssert(raw -> parentOrRefused(raw, null));
  }

  @Test
  void anyConnectionShapedStringIsAParentOrAConfigException() {
    qt().withExamples(500).forAll(connectionShaped()).checkAssert(raw -> parentOrRefused(raw, null));
  }

  @Test
  void invalidUtf8IsAParentOrAConfigException() {
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(bytes -> parentOrRefused(new String(bytes, StandardCharsets.UTF_8), null));
  }

  @Test
  void hugeConnectionStringsAreAParentOrAConfigException() {
    qt().withExamples(20).forAll(integers().between(1_000, 100_000), pick(";", "=", "a=b;", "SyncTokenName=x;",
            "ParentGatewayEndpoint=h;", "ParentEndpointProtocol=ftp;"))
        .checkAssert((count, piece) -> parentOrRefused(piece.repeat(count), null));
  }

  @Test
  void aRefusalNeverEchoesThePassword() {
    qt().withExamples(300).forAll(passwords(), connectionShaped())
        .checkAssert((password, rest) -> parentOrRefused("SyncTokenPassword=" + password + ";" + rest, password));
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

  /** Printable ASCII but ';' (which separates the parts), and some Latin letters. */
  private static Gen<String> values() {
    return strings(Generate.oneOf(chars('!', ':'), chars('<', '~'), chars('\u00c0', '\u017f')), 1, 30);
  }

  /** Passwords as ACR makes them (and with '=' in them), long enough not to appear by chance. */
  private static Gen<String> passwords() {
    return strings(Generate.oneOf(chars('!', ':'), chars('<', '~')), 12, 44).assuming(v -> !v.contains("://"));
  }

  private static Gen<String> endpoints() {
    Gen<String> host = strings(Generate.oneOf(chars('a', 'z'), chars(".-")), 1, 20);
    return host.zip(nullable(integers().between(1, 65535), 30), (h, port) -> port == null ? h : h + ":" + port);
  }

  private static Gen<String> connectionShaped() {
    return joined(Generate.oneOf(values(), pick(";", "=", " ", "ConnectedRegistryName", "SyncTokenName",
        "SyncTokenPassword", "ParentGatewayEndpoint", "ParentEndpointProtocol", "http", "https", "://", "https://p:1",
        "ftp://x", "\u0000", "\r\n", "[::1]:5000", ":")), 25);
  }
}
