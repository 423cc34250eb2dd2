internal import CCrypto
import DMARCCore

/// SHA-256 through OpenSSL's EVP interface, computed while bytes pass.
/// See https://www.openssl.org/docs/man3.0/man3/EVP_DigestInit.html
final class HashingStream: ByteStream {
    private let source: ByteStream
    private let context: OpaquePointer

    init(_ source: ByteStream) {
        self.source = source
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 { EVP_DigestUpdate(context, buffer.baseAddress, n) }
        return n
    }

    /// The lower-case hex digest; valid once the stream has been read to the end (call once).
    var hexDigest: String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest.prefix(Int(length)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
