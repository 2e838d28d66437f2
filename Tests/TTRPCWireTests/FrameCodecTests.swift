import Foundation
import SwiftProtobuf
import Testing
@testable import TTRPCWire

@Suite("Frame codec")
struct FrameCodecTests {
    @Test func headerLayoutMatchesTTRPC() throws {
        let frame = Frame(streamID: 0x0102_0304, type: .request, flags: [.remoteClosed], payload: [0xAA, 0xBB])
        #expect(try frame.encoded() == [0, 0, 0, 2, 1, 2, 3, 4, 1, 1, 0xAA, 0xBB])
    }

    @Test func decodesFramesFedByteByByte() throws {
        let frames = [
            Frame(streamID: 1, type: .request, payload: Array("hello".utf8)),
            Frame(streamID: 3, type: .data, flags: [.remoteClosed, .noData]),
            Frame(streamID: 3, type: .response, payload: Array(repeating: 7, count: 1000)),
        ]
        let wire = try frames.flatMap { try $0.encoded() }
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        for byte in wire {
            decoder.feed([byte])
            while case .frame(let frame)? = decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
        #expect(decoder.bufferedCount == 0)
    }

    @Test(arguments: [1, 3, 9, 10, 11, 64])
    func decodesAcrossArbitrarySplits(chunk: Int) throws {
        let frames = (0..<20).map { i in
            Frame(streamID: UInt32(2 * i + 1), type: .data, payload: Array(repeating: UInt8(i), count: i * 7))
        }
        let wire = try frames.flatMap { try $0.encoded() }
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        var offset = 0
        while offset < wire.count {
            decoder.feed(wire[offset..<min(offset + chunk, wire.count)])
            offset += chunk
            while case .frame(let frame)? = decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test func splitHeaderYieldsNothingUntilComplete() throws {
        let wire = try Frame(streamID: 5, type: .request, payload: [1, 2, 3]).encoded()
        var decoder = FrameDecoder()
        decoder.feed(wire[0..<9])
        #expect(decoder.next() == nil)
        decoder.feed(wire[9..<12])
        #expect(decoder.next() == nil)
        decoder.feed(wire[12...])
        #expect(decoder.next() == .frame(Frame(streamID: 5, type: .request, payload: [1, 2, 3])))
    }

    @Test func zeroLengthPayloadsWithAndWithoutNoData() throws {
        let plain = Frame(streamID: 7, type: .data)
        let noData = Frame(streamID: 7, type: .data, flags: [.noData, .remoteClosed])
        #expect(try plain.encoded().count == Frame.headerLength)
        var decoder = FrameDecoder()
        decoder.feed(try plain.encoded() + noData.encoded())
        #expect(decoder.next() == .frame(plain))
        #expect(decoder.next() == .frame(noData))
        #expect(decoder.next() == nil)
    }

    @Test func payloadAtTheLimitIsAccepted() throws {
        let frame = Frame(streamID: 9, type: .request, payload: Array(repeating: 0x5A, count: Frame.maxPayloadLength))
        var decoder = FrameDecoder()
        decoder.feed(try frame.encoded())
        #expect(decoder.next() == .frame(frame))
    }

    @Test func payloadOverTheLimitIsRefusedWhenEncoding() {
        let frame = Frame(streamID: 9, type: .request, payload: Array(repeating: 0, count: Frame.maxPayloadLength + 1))
        #expect(throws: FrameError.payloadTooLarge(streamID: 9, length: Frame.maxPayloadLength + 1)) {
            try frame.encoded()
        }
    }

    @Test func oversizedFrameIsReportedOnceAndSkipped() throws {
        let length = Frame.maxPayloadLength + 1
        var header: [UInt8] = []
        Frame.appendBigEndian(UInt32(length), to: &header)
        Frame.appendBigEndian(11, to: &header)
        header += [FrameType.request.rawValue, 0]
        let next = try Frame(streamID: 13, type: .request, payload: [42]).encoded()

        var decoder = FrameDecoder()
        decoder.feed(header)
        #expect(decoder.next() == .oversized(streamID: 11, typeByte: 1, length: length))
        // The skipped payload arrives in pieces; none of it is buffered or reported.
        var remaining = length
        while remaining > 0 {
            let piece = min(remaining, 100_000)
            decoder.feed([UInt8](repeating: 0xFF, count: piece))
            #expect(decoder.next() == nil)
            #expect(decoder.bufferedCount == 0)
            remaining -= piece
        }
        decoder.feed(next)
        #expect(decoder.next() == .frame(Frame(streamID: 13, type: .request, payload: [42])))
    }

    @Test func oversizedPayloadInTheSameChunkAsTheNextFrame() throws {
        var decoder = FrameDecoder(maxPayloadLength: 4)
        var wire: [UInt8] = []
        Frame.appendBigEndian(6, to: &wire)
        Frame.appendBigEndian(1, to: &wire)
        wire += [1, 0, 1, 2, 3, 4, 5, 6]
        wire += try Frame(streamID: 3, type: .request, payload: [9]).encoded()
        decoder.feed(wire)
        #expect(decoder.next() == .oversized(streamID: 1, typeByte: 1, length: 6))
        #expect(decoder.next() == .frame(Frame(streamID: 3, type: .request, payload: [9])))
    }

    @Test func unknownTypeBytesSurviveDecoding() throws {
        var wire: [UInt8] = []
        Frame.appendBigEndian(0, to: &wire)
        Frame.appendBigEndian(1, to: &wire)
        wire += [0x7F, 0]
        var decoder = FrameDecoder()
        decoder.feed(wire)
        guard case .frame(let frame)? = decoder.next() else {
            Issue.record("expected a frame")
            return
        }
        #expect(frame.type == nil)
        #expect(frame.typeByte == 0x7F)
    }

    @Test func envelopeFieldNumbersMatchTTRPC() throws {
        var request = Ttrpc_Request()
        request.service = "s"
        request.method = "m"
        request.payload = .init([1])
        request.timeoutNano = 5
        var pair = Ttrpc_KeyValue()
        pair.key = "k"
        pair.value = "v"
        request.metadata = [pair]
        let bytes: [UInt8] = try request.serializedBytes()
        // field 1 "s", field 2 "m", field 3 [1], field 4 varint 5, field 5 {1:"k",2:"v"}
        #expect(bytes == [0x0A, 1, 0x73, 0x12, 1, 0x6D, 0x1A, 1, 1, 0x20, 5, 0x2A, 6, 0x0A, 1, 0x6B, 0x12, 1, 0x76])

        var response = Ttrpc_Response()
        response.status.code = 12
        response.status.message = "x"
        response.payload = .init([2])
        let responseBytes: [UInt8] = try response.serializedBytes()
        #expect(responseBytes == [0x0A, 5, 0x08, 12, 0x12, 1, 0x78, 0x12, 1, 2])
    }
}
