package io.connectedregistry.iotedgedev;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks an IoT Hub SAS token ({@code SharedAccessSignature sr=..&sig=..&se=..}, fields in any
 * order) the way IoT Hub does: the signature is HMAC-SHA256, with the module key, of the {@code sr}
 * value exactly as written in the token, a newline and {@code se}. The SDK writes {@code sr}
 * URL-encoded on the workload-API path and plain on the connection-string path, and signs what it
 * writes, so both check here.
 */
final class SasTokens {

  private static final String PREFIX = "SharedAccessSignature ";

  private SasTokens() {}

  /** Why the token is refused, or empty if it is good for this module now. */
  static Optional<String> refusal(String token, ModuleIdentity identity, Instant now) {
    if (token == null || !token.startsWith(PREFIX)) {
      return Optional.of("not a SharedAccessSignature");
    }
    Map<String, String> fields = new HashMap<>();
    for (String pair : token.substring(PREFIX.length()).split("&")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        return Optional.of("malformed field");
      }
      fields.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    String sr = fields.get("sr");
    String sig = fields.get("sig");
    String se = fields.get("se");
    if (sr == null || sig == null || se == null) {
      return Optional.of("sr, sig and se are required");
    }
    long expiry;
    try {
      expiry = Long.parseLong(se);
    } catch (NumberFormatException e) {
      return Optional.of("se is not a number");
    }
    if (expiry <= now.getEpochSecond()) {
      return Optional.of("token expired");
    }
    String scope = decode(sr).toLowerCase(Locale.ROOT);
    while (scope.endsWith("/")) {
      scope = scope.substring(0, scope.length() - 1);
    }
    if (!scope.equals(identity.resourceUri().toLowerCase(Locale.ROOT))) {
      return Optional.of("token is for another resource");
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(decode(sig));
    } catch (IllegalArgumentException e) {
      return Optional.of("sig is not base64");
    }
    byte[] expected = hmac(identity.keyBytes(), sr + "\n" + se);
    if (!MessageDigest.isEqual(given, expected)) {
      return Optional.of("bad signature");
    }
    return Optional.empty();
  }

  /** A token for this module, signed as IoT Hub expects (the tests' and the CLI's own use). */
  static String sign(ModuleIdentity identity, Instant expiry) {
    String sr = URLEncoder.encode(identity.resourceUri(), StandardCharsets.UTF_8);
    String se = Long.toString(expiry.getEpochSecond());
    String sig = Base64.getEncoder().encodeToString(hmac(identity.keyBytes(), sr + "\n" + se));
    return PREFIX + "sr=" + sr + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8)
        + "&se=" + se;
  }

  static byte[] hmac(byte[] key, String data) {
    return hmac(key, data.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
