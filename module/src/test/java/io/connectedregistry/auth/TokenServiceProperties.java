package io.connectedregistry.auth;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static io.connectedregistry.Generators.unicodeStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.maps;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link TokenService} verifies Bearer and refresh tokens that any client presents: whatever the
 * string, the answer is a verified token or empty — never an exception.
 */
class TokenServiceProperties {
  private static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private final TokenService service = new TokenService(SECRET, Duration.ofMinutes(5));

  @Test
  void anIssuedTokenVerifiesToWhatItGrants() {
    qt().withExamples(200).forAll(subjects(), maps().of(repositories(), ScopeProperties.actionSets()).ofSizeBetween(0, 5),
        booleans().all()).checkAssert((subject, grants, catalog) -> {
          String token = service.issueAccess(subject, "registry", grants, catalog, NOW).token();

          TokenService.Verified verified = service.verifyAccess(token, NOW.plusSeconds(1)).orElseThrow();

          assertEquals(subject, verified.subject());
          Map<String, Set<Action>> nonEmpty = new LinkedHashMap<>();
          grants.forEach((repository, actions) -> {
            if (!actions.isEmpty()) {
              nonEmpty.put(repository, EnumSet.copyOf(actions));
            }
          });
          assertEquals(nonEmpty, verified.granted());
          assertEquals(catalog, verified.catalog());
          assertTrue(service.verifyRefresh(token, NOW.plusSeconds(1)).isEmpty(), "an access token is no refresh token");
        });
  }

  @Test
  void aTamperedTokenIsEmptyOrUnchanged() {
    qt().withExamples(300).forAll(subjects(), integers().between(0, 10_000), chars('\u0000', '\uffff'))
        .checkAssert((subject, at, replacement) -> {
          String token = service.issueAccess(subject, "registry", Map.of("app/web", Set.of(Action.CONTENT_READ)), false,
              NOW).token();
          int i = at % token.length();
          String tampered = token.substring(0, i) + replacement + token.substring(i + 1);
          Optional<TokenService.Verified> verified = service.verifyAccess(tampered, NOW.plusSeconds(1));
          // Changing only the unused low bits of a base64url character leaves the bytes, and the token, as they were.
          verified.ifPresent(v -> assertEquals(service.verifyAccess(token, NOW.plusSeconds(1)).orElseThrow(), v));
        });
  }

  @Test
  void anyStringIsEmpty() {
    qt().withExamples(1000).forAll(anyStrings(300)).checkAssert(this::assertEmpty);
  }

  @Test
  void anyJwtShapedStringIsEmpty() {
    qt().withExamples(1000).forAll(jwtShaped()).checkAssert(this::assertEmpty);
  }

  @Test
  void aTokenOfAnyHeaderAndClaimsBytesIsEmpty() {
    qt().withExamples(300).forAll(hostileJson(), hostileJson()).checkAssert((header, claims) ->
        assertEmpty(base64url(header) + "." + base64url(claims) + "." + base64url(new byte[32])));
  }

  @Test
  void aTokenWhoseHeaderIsJsonNullIsEmpty() {
    // nimbus-jose-jwt threw NullPointerException from SignedJWT.parse for this header.
    assertEmpty(base64url("null".getBytes(StandardCharsets.UTF_8)) + "." + base64url("{}".getBytes(
        StandardCharsets.UTF_8)) + "." + base64url(new byte[32]));
  }

  /** Claims only the key's holder could sign, still read without an exception. */
  @Test
  void signedClaimsOfAnyShapeAreVerifiedOrEmpty() {
    qt().withExamples(300).forAll(accessClaims(), subjects()).checkAssert((access, subject) -> {
      JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(TokenService.ISSUER).subject(subject)
          .expirationTime(Date.from(NOW.plusSeconds(60))).claim("access", access).build();
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      try {
        jwt.sign(new MACSigner(SECRET));
      } catch (JOSEException e) {
        throw new AssertionError("the test could not sign its token", e);
      }
      service.verifyAccess(jwt.serialize(), NOW);
    });
  }

  private void assertEmpty(String token) {
    assertTrue(service.verifyAccess(token, NOW).isEmpty());
    assertTrue(service.verifyRefresh(token, NOW).isEmpty());
  }

  private static String base64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static Gen<String> subjects() {
    return nullable(unicodeStrings(1, 30), 10);
  }

  private static Gen<String> repositories() {
    return strings(Generate.oneOf(chars('a', 'z'), chars("/._-")), 1, 30);
  }

  private static Gen<String> jwtShaped() {
    Gen<String> segment = Generate.oneOf(
        strings(Generate.oneOf(chars('A', 'Z'), chars('a', 'z'), chars('0', '9'), chars("-_=+/")), 0, 60),
        hostileJson().map(TokenServiceProperties::base64url),
        pick("eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJub25lIn0", "e30", ""));
    return lists().of(segment).ofSizeBetween(1, 6).map(parts -> String.join(".", parts));
  }

  /** JSON a parser may choke on: deep nesting, huge arrays, duplicate keys, overlong numbers, bad UTF-8. */
  private static Gen<byte[]> hostileJson() {
    Gen<String> text = Generate.oneOf(
        integers().between(100, 10_000).map(n -> "[".repeat(n) + "]".repeat(n)),
        integers().between(100, 10_000).map(n -> "{\"alg\":\"HS256\",\"x\":" + "{\"a\":".repeat(n) + "1"
            + "}".repeat(n) + "}"),
        integers().between(1_000, 100_000).map(n -> "{\"alg\":\"HS256\",\"x\":[" + "1,".repeat(n) + "1]}"),
        pick("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{\"alg\":\"none\"}", "{\"alg\":\"HS256\",\"typ\":\"\"}",
            "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", "{\"alg\":\"HS256\",\"jwk\":{}}", "{\"alg\":1}", "null", "[]",
            "{\"alg\":\"HS256\",\"b64\":false}", "{\"exp\":\"x\",\"access\":[{\"actions\":[1]}]}"),
        integers().between(1_000, 50_000).map(n -> "{\"alg\":\"HS256\",\"exp\":" + "9".repeat(n) + "}"),
        anyStrings(60));
    return Generate.oneOf(text.map(t -> t.getBytes(StandardCharsets.UTF_8)), bytes(0, 60));
  }

  private static Gen<Object> accessClaims() {
    Gen<Object> action = Generate.oneOf(pick("pull", "push", "delete", "*", "", "metadata_read").map(a -> (Object) a),
        integers().all().map(i -> (Object) i), Generate.constant((Object) List.of("pull")));
    Gen<Object> entry = Generate.oneOf(
        lists().of(action).ofSizeBetween(0, 3).zip(pick("repository", "registry", "x"),
            (actions, type) -> (Object) Map.<String, Object>of("type", type, "name", "app/web", "actions", actions)),
        Generate.constant((Object) Map.of("type", "repository", "name", 5, "actions", List.of("pull"))),
        Generate.constant((Object) Map.of("type", "repository", "name", "a", "actions", "pull")),
        anyStrings(5).map(s -> (Object) s));
    return Generate.oneOf(lists().of(entry).ofSizeBetween(0, 4).map(l -> (Object) l),
        anyStrings(5).map(s -> (Object) s), integers().all().map(i -> (Object) i));
  }
}
