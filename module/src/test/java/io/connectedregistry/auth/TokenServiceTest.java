package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {

  private static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");

  @TempDir Path data;

  @Test
  void issuedTokenVerifiesWithItsGrantsUntilItExpires() {
    TokenService service = TokenService.open(data, Duration.ofMinutes(5));
    TokenService.Issued issued = service.issueAccess("puller", "registry.local",
        Map.of("app/web", Set.of(CONTENT_READ, METADATA_READ)), true, NOW);
    assertEquals(300, issued.expiresInSeconds());

    TokenService.Verified verified = service.verifyAccess(issued.token(), NOW.plusSeconds(10)).orElseThrow();
    assertEquals("puller", verified.subject());
    assertEquals(Map.of("app/web", Set.of(CONTENT_READ, METADATA_READ)), verified.granted());
    assertTrue(verified.catalog());

    assertTrue(service.verifyAccess(issued.token(), NOW.plusSeconds(300)).isEmpty(), "expired");
  }

  @Test
  void keySurvivesReopeningAndIsPrivate() throws Exception {
    TokenService first = TokenService.open(data, Duration.ofMinutes(5));
    String token = first.issueAccess(null, null, Map.of(), false, NOW).token();
    byte[] key = Files.readAllBytes(data.resolve(TokenService.KEY_FILE));

    TokenService second = TokenService.open(data, Duration.ofMinutes(5));
    TokenService.Verified verified = second.verifyAccess(token, NOW).orElseThrow();
    assertNull(verified.subject(), "anonymous token");
    assertArrayEquals(key, Files.readAllBytes(data.resolve(TokenService.KEY_FILE)));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(data.resolve(TokenService.KEY_FILE))));
  }

  @Test
  void tokenOfAnotherKeyOrTamperedIsRefused(@TempDir Path other) {
    TokenService ours = TokenService.open(data, Duration.ofMinutes(5));
    TokenService theirs = TokenService.open(other, Duration.ofMinutes(5));
    String foreign = theirs.issueAccess("puller", null, Map.of(), false, NOW).token();
    assertTrue(ours.verifyAccess(foreign, NOW).isEmpty());

    String token = ours.issueAccess("puller", null, Map.of("a", Set.of(CONTENT_READ)), false, NOW).token();
    String[] parts = token.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]))
        .replace("\"pull\"", "\"push\"");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(payload.getBytes()) + "." + parts[2];
    assertTrue(ours.verifyAccess(tampered, NOW).isEmpty());
    assertTrue(ours.verifyAccess("not a jwt", NOW).isEmpty());
  }

  @Test
  void refreshAndAccessTokensAreNotInterchangeable() {
    TokenService service = TokenService.open(data, Duration.ofMinutes(5));
    String refresh = service.issueRefresh("puller", "password-1", null, NOW).token();
    String access = service.issueAccess("puller", null, Map.of(), false, NOW).token();
    assertEquals(new TokenService.Refresh("puller", "password-1"),
        service.verifyRefresh(refresh, NOW.plusSeconds(3600)).orElseThrow());
    assertTrue(service.verifyAccess(refresh, NOW).isEmpty());
    assertTrue(service.verifyRefresh(access, NOW).isEmpty());
    assertTrue(service.verifyRefresh(refresh, NOW.plus(TokenService.REFRESH_LIFETIME)).isEmpty());
  }

  /** Refresh tokens issued before they named their password cannot be revoked with it: refused. */
  @Test
  void aRefreshTokenWithoutItsPasswordIsRefused() throws Exception {
    TokenService service = TokenService.open(data, Duration.ofMinutes(5));
    byte[] key = Files.readAllBytes(data.resolve(TokenService.KEY_FILE));
    SignedJWT old = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
        .type(new JOSEObjectType("refresh+jwt")).build(),
        new JWTClaimsSet.Builder().issuer("connected-registry").subject("puller")
            .issueTime(Date.from(NOW)).expirationTime(Date.from(NOW.plusSeconds(3600))).build());
    old.sign(new MACSigner(key));
    assertTrue(service.verifyRefresh(old.serialize(), NOW).isEmpty());
  }

  @Test
  void damagedKeyFileIsReportedNotReplaced() throws Exception {
    Files.write(data.resolve(TokenService.KEY_FILE), new byte[] {1, 2, 3});
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class, () -> TokenService.open(data, Duration.ofMinutes(5)));
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }
}
