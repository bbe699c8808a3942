package io.connectedregistry.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.connectedregistry.storage.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Issues and verifies the Bearer tokens of the Docker token protocol ({@code /oauth2/token}), and
 * the refresh tokens of its OAuth2 form.
 *
 * <p>HS256 with a 256-bit secret in {@code DATA/token-signing.key}: the issuer and the verifier
 * are the same process, so a shared secret is enough, verifying costs microseconds, and the key
 * surviving restarts means clients keep their tokens across one. Tokens carry the token name and
 * the granted scopes; the HTTP layer still checks the token's current state on every request.
 */
public final class TokenService {

  public static final String KEY_FILE = "token-signing.key";
  static final String ISSUER = "connected-registry";
  /** Refresh tokens (OAuth2 {@code access_type=offline}) last a day; each use checks the token. */
  static final Duration REFRESH_LIFETIME = Duration.ofDays(1);
  private static final String PASSWORD_CLAIM = "pwd";

  /** What a verified token says. {@code subject} is null for an anonymous token. */
  public record Verified(
      String subject, Map<String, Set<Action>> granted, boolean catalog, Instant expires) {}

  /** A signed token and the numbers the token endpoint answers with. */
  public record Issued(String token, Instant issuedAt, long expiresInSeconds) {}

  private final MACSigner signer;
  private final MACVerifier verifier;
  /** Live ({@code auth.tokenLifetime}): tokens already issued keep the lifetime they were given. */
  private volatile Duration lifetime;

  TokenService(byte[] secret, Duration lifetime) {
    try {
      this.signer = new MACSigner(secret);
      this.verifier = new MACVerifier(secret);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("token signing key is unusable: " + e.getMessage(), e);
    }
    this.lifetime = lifetime;
  }

  /** Loads the signing key from the data folder, creating it on first start. */
  public static TokenService open(Path dataDirectory, Duration lifetime) {
    return new TokenService(loadOrCreateKey(dataDirectory.resolve(KEY_FILE)), lifetime);
  }

  public Duration lifetime() {
    return lifetime;
  }

  public void setLifetime(Duration lifetime) {
    this.lifetime = lifetime;
  }

  /** An access token for {@code subject} (null = anonymous) with exactly the given grants. */
  public Issued issueAccess(String subject, String audience, Map<String, Set<Action>> granted,
      boolean catalog, Instant now) {
    List<Map<String, Object>> access = new ArrayList<>();
    granted.forEach((repository, actions) -> {
      if (!actions.isEmpty()) {
        access.add(Map.of("type", "repository", "name", repository,
            "actions", actions.stream().map(Scope::dockerName).toList()));
      }
    });
    if (catalog) {
      access.add(Map.of("type", "registry", "name", "catalog", "actions", List.of("*")));
    }
    Duration lifetime = this.lifetime;
    JWTClaimsSet.Builder claims = base(subject, audience, now, lifetime).claim("access", access);
    return new Issued(sign(claims.build(), "access"), now, lifetime.toSeconds());
  }

  /** What a verified refresh token says: the token, and the password it was issued for. */
  public record Refresh(String subject, String passwordFingerprint) {}

  /**
   * A refresh token: names the token and the password that logged in ({@link
   * TokenPassword#fingerprint}); every use re-checks both and re-grants the scopes.
   */
  public Issued issueRefresh(String subject, String passwordFingerprint, String audience, Instant now) {
    JWTClaimsSet.Builder claims = base(subject, audience, now, REFRESH_LIFETIME)
        .claim(PASSWORD_CLAIM, passwordFingerprint);
    return new Issued(sign(claims.build(), "refresh"), now, REFRESH_LIFETIME.toSeconds());
  }

  /** What an access token says; empty for anything else (never an exception, whatever the string). */
  public Optional<Verified> verifyAccess(String token, Instant now) {
    return verify(token, "access", now).flatMap(TokenService::access);
  }

  /**
   * The token and password a refresh token was issued for, if it is genuine and not expired.
   * Refresh tokens without a password (issued before they carried one) are refused: their owners
   * log in again.
   */
  public Optional<Refresh> verifyRefresh(String token, Instant now) {
    return verify(token, "refresh", now).flatMap(claims -> {
      Object password = claims.getClaim(PASSWORD_CLAIM);
      return claims.getSubject() != null && password instanceof String p && !p.isEmpty()
          ? Optional.of(new Refresh(claims.getSubject(), p)) : Optional.empty();
    });
  }

  private static JWTClaimsSet.Builder base(String subject, String audience, Instant now,
      Duration lifetime) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now.minusSeconds(1)))
        .expirationTime(Date.from(now.plus(lifetime)))
        .jwtID(UUID.randomUUID().toString());
    if (subject != null) {
      claims.subject(subject);
    }
    if (audience != null && !audience.isEmpty()) {
      claims.audience(audience);
    }
    return claims;
  }

  private String sign(JWTClaimsSet claims, String use) {
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256)
        .type(use.equals("access") ? JOSEObjectType.JWT : new JOSEObjectType("refresh+jwt"))
        .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
    return jwt.serialize();
  }

  /** The claims of a token signed here, of the given use, valid at {@code now}. */
  private Optional<JWTClaimsSet> verify(String token, String use, Instant now) {
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException | RuntimeException malformed) {
      // Any client sends these. Besides ParseException, nimbus throws unchecked exceptions for
      // some malformed tokens (a header that is JSON null: NullPointerException).
      return Optional.empty();
    }
    try {
      if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        return Optional.empty();
      }
      JOSEObjectType type = jwt.getHeader().getType();
      boolean refresh = type != null && type.getType().equals("refresh+jwt");
      if (refresh != use.equals("refresh")) {
        return Optional.empty();
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      Date expires = claims.getExpirationTime();
      Date notBefore = claims.getNotBeforeTime();
      if (!ISSUER.equals(claims.getIssuer()) || expires == null || !now.isBefore(expires.toInstant())
          || (notBefore != null && now.isBefore(notBefore.toInstant()))) {
        return Optional.empty();
      }
      return Optional.of(claims);
    } catch (ParseException | JOSEException | IllegalArgumentException | ClassCastException e) {
      return Optional.empty();
    }
  }

  /** The grants of a verified access token; a malformed grant voids the token. */
  private static Optional<Verified> access(JWTClaimsSet claims) {
    try {
      Map<String, Set<Action>> granted = new LinkedHashMap<>();
      boolean catalog = false;
      Object access = claims.getClaim("access");
      if (access instanceof List<?> entries) {
        for (Object entry : entries) {
          if (!(entry instanceof Map<?, ?> map)) {
            continue;
          }
          Object type = map.get("type");
          Object name = map.get("name");
          if ("registry".equals(type) && "catalog".equals(name)) {
            catalog = true;
          } else if ("repository".equals(type) && name instanceof String repository
              && map.get("actions") instanceof List<?> actions) {
            EnumSet<Action> set = EnumSet.noneOf(Action.class);
            for (Object action : actions) {
              set.add(Scope.fromDockerName(String.valueOf(action)));
            }
            granted.put(repository, set);
          }
        }
      }
      return Optional.of(new Verified(claims.getSubject(), granted, catalog,
          claims.getExpirationTime().toInstant()));
    } catch (IllegalArgumentException | ClassCastException e) {
      return Optional.empty();
    }
  }

  private static byte[] loadOrCreateKey(Path file) {
    try {
      if (Files.exists(file)) {
        byte[] key = Files.readAllBytes(file);
        if (key.length != 32) {
          throw new IllegalStateException(file + " is damaged (expected 32 bytes, found "
              + key.length + "); delete it to make a new key (clients then log in again)");
        }
        return key;
      }
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Files.createDirectories(file.getParent());
      // Only the server creates the key, and it holds the data folder's lock: no race to lose.
      AtomicFile.writePrivate(file, key);
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the token signing key " + file, e);
    }
  }
}
