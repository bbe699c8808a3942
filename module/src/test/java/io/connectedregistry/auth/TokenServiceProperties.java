package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link TokenService} verifies Bearer and refresh tokens that any client presents: whatever the
 * string, the answer is a verified token or empty — never an exception.
 */
class TokenServiceProperties {
  private static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private final TokenService service = new TokenService(SECRET, Duration.ofMinutes(5));

  @Property(tries = 200)
  void anIssuedTokenVerifiesToWhatItGrants(@ForAll("subjects") String subject,
      @ForAll @Size(max = 5) Map<@From("repositories") String, Set<Action>> grants, @ForAll boolean catalog) {
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
  }

  @Property(tries = 300)
  void aTamperedTokenIsEmptyOrUnchanged(@ForAll("subjects") String subject, @ForAll @IntRange(min = 0, max = 10_000) int at,
      @ForAll char replacement) {
    String token = service.issueAccess(subject, "registry", Map.of("app/web", Set.of(Action.CONTENT_READ)), false, NOW)
        .token();
    int i = at % token.length();
    String tampered = token.substring(0, i) + replacement + token.substring(i + 1);
    Optional<TokenService.Verified> verified = service.verifyAccess(tampered, NOW.plusSeconds(1));
    // Changing only the unused low bits of a base64url character leaves the bytes, and the token, as they were.
    verified.ifPresent(v -> assertEquals(service.verifyAccess(token, NOW.plusSeconds(1)).orElseThrow(), v));
  }

  @Property(tries = 1000)
  void anyStringIsEmpty(@ForAll String token) {
    assertTrue(service.verifyAccess(token, NOW).isEmpty());
    assertTrue(service.verifyRefresh(token, NOW).isEmpty());
  }

  @Property(tries = 1000)
  void anyJwtShapedStringIsEmpty(@ForAll("jwtShaped") String token) {
    assertTrue(service.verifyAccess(token, NOW).isEmpty());
    assertTrue(service.verifyRefresh(token, NOW).isEmpty());
  }

  @Property(tries = 300)
  void aTokenOfAnyHeaderAndClaimsBytesIsEmpty(@ForAll("hostileJson") byte[] header, @ForAll("hostileJson") byte[] claims) {
    String token = base64url(header) + "." + base64url(claims) + "." + base64url(new byte[32]);
    assertTrue(service.verifyAccess(token, NOW).isEmpty());
    assertTrue(service.verifyRefresh(token, NOW).isEmpty());
  }

  @Example
  void aTokenWhoseHeaderIsJsonNullIsEmpty() {
    // nimbus-jose-jwt threw NullPointerException from SignedJWT.parse for this header.
    String token = base64url("null".getBytes(StandardCharsets.UTF_8)) + "." + base64url("{}".getBytes(
        StandardCharsets.UTF_8)) + "." + base64url(new byte[32]);
    assertTrue(service.verifyAccess(token, NOW).isEmpty());
    assertTrue(service.verifyRefresh(token, NOW).isEmpty());
  }

  /** Claims only the key's holder could sign, still read without an exception. */
  @Property(tries = 300)
  void signedClaimsOfAnyShapeAreVerifiedOrEmpty(@ForAll("accessClaims") Object access, @ForAll("subjects") String subject)
      throws JOSEException {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(TokenService.ISSUER).subject(subject)
        .expirationTime(Date.from(NOW.plusSeconds(60))).claim("access", access).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(SECRET));
    service.verifyAccess(jwt.serialize(), NOW);
  }

  private static String base64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Provide
  Arbitrary<String> subjects() {
    return Arbitraries.strings().ofMinLength(1).ofMaxLength(30)
        .filter(s -> s.equals(new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)))
        .injectNull(0.1);
  }

  @Provide
  Arbitrary<String> repositories() {
    return Arbitraries.strings().withCharRange('a', 'z').withChars("/._-").ofMinLength(1).ofMaxLength(30);
  }

  @Provide
  Arbitrary<String> jwtShaped() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('A', 'Z').withCharRange('a', 'z').withCharRange('0', '9').withChars("-_=+/")
            .ofMaxLength(60),
        hostileJson().map(TokenServiceProperties::base64url),
        Arbitraries.of("eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJub25lIn0", "e30", ""));
    return segment.list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join(".", parts));
  }

  /** JSON a parser may choke on: deep nesting, huge arrays, duplicate keys, overlong numbers, bad UTF-8. */
  @Provide
  Arbitrary<byte[]> hostileJson() {
    Arbitrary<String> text = Arbitraries.oneOf(
        Arbitraries.integers().between(100, 10_000).map(n -> "[".repeat(n) + "]".repeat(n)),
        Arbitraries.integers().between(100, 10_000).map(n -> "{\"alg\":\"HS256\",\"x\":" + "{\"a\":".repeat(n) + "1"
            + "}".repeat(n) + "}"),
        Arbitraries.integers().between(1_000, 100_000).map(n -> "{\"alg\":\"HS256\",\"x\":[" + "1,".repeat(n) + "1]}"),
        Arbitraries.of("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{\"alg\":\"none\"}", "{\"alg\":\"HS256\",\"typ\":\"\"}",
            "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", "{\"alg\":\"HS256\",\"jwk\":{}}", "{\"alg\":1}", "null", "[]",
            "{\"alg\":\"HS256\",\"b64\":false}", "{\"exp\":\"x\",\"access\":[{\"actions\":[1]}]}"),
        Arbitraries.integers().between(1_000, 50_000).map(n -> "{\"alg\":\"HS256\",\"exp\":" + "9".repeat(n) + "}"),
        Arbitraries.strings().ofMaxLength(60));
    Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(60);
    return Arbitraries.oneOf(text.map(t -> t.getBytes(StandardCharsets.UTF_8)), bytes);
  }

  @Provide
  Arbitrary<Object> accessClaims() {
    Arbitrary<Object> action = Arbitraries.oneOf(Arbitraries.of("pull", "push", "delete", "*", "", "metadata_read"),
        Arbitraries.integers().map(i -> i), Arbitraries.just(List.of("pull")));
    Arbitrary<Object> entry = Arbitraries.oneOf(
        action.list().ofMaxSize(3).flatMap(actions -> Arbitraries.of("repository", "registry", "x")
            .map(type -> Map.<String, Object>of("type", type, "name", "app/web", "actions", actions))),
        Arbitraries.just(Map.of("type", "repository", "name", 5, "actions", List.of("pull"))),
        Arbitraries.just(Map.of("type", "repository", "name", "a", "actions", "pull")),
        Arbitraries.strings().ofMaxLength(5).map(s -> s));
    return Arbitraries.oneOf(entry.list().ofMaxSize(4).map(l -> l), Arbitraries.strings().ofMaxLength(5).map(s -> s),
        Arbitraries.integers().map(i -> i));
  }
}
