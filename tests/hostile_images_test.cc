// Hostile and broken images (issue #9): every input class gives a clear per-file error or is
// decoded correctly, never a crash and never an allocation the header did not pass the limits for.
// The images are made here, with OpenCV or as raw bytes.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/catalog/lookbook_import.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/util/error.h"
#include "hostile_cli.h"
#include "testing/temp_dir.h"

namespace ensemble::image {
namespace {

namespace fs = std::filesystem;

catalog::LookbookImportOptions quiet_import() {
  catalog::LookbookImportOptions o;
  o.quiet = true;
  return o;
}

std::string encode(const cv::Mat& img, const std::string& ext, const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf, params)) << ext;
  return std::string(buf.begin(), buf.end());
}

cv::Mat noise(int rows, int cols, int type = CV_8UC3) {
  cv::Mat m(rows, cols, type);
  cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255);
  return m;
}

// The outcome of decoding: an error code, or success.
struct Outcome {
  bool ok = false;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  cv::Mat image;
};

Outcome decode(const std::string& bytes, const ImageLimits& limits = {}) {
  Outcome o;
  try {
    o.image = decode_image(bytes, limits);
    o.ok = true;
  } catch (const Error& e) {
    o.code = e.code();
    o.message = e.what();
  }
  return o;
}

long max_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void put_be32(std::string& s, std::uint32_t v) {
  for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

// A PNG chunk with its CRC.
std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::string td = type + data;
  out += td;
  put_be32(out, static_cast<std::uint32_t>(
                    crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()))));
  return out;
}

// A complete, valid PNG of w x h black pixels (8-bit grey), built by hand: its zlib stream is tiny
// however large the image, which is what a decompression bomb is.
std::string png_bomb(std::uint32_t w, std::uint32_t h) {
  std::string ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  // The raw scanlines (filter byte + w zero bytes per row), deflated row by row.
  z_stream z{};
  deflateInit(&z, 9);
  std::string idat;
  std::vector<unsigned char> row(w + 1, 0), out(1 << 16);
  for (std::uint32_t y = 0; y < h; ++y) {
    z.next_in = row.data();
    z.avail_in = static_cast<uInt>(row.size());
    const int flush = y + 1 == h ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, flush);
      idat.append(reinterpret_cast<char*>(out.data()), out.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", idat) +
         png_chunk("IEND", "");
}

// A JPEG with an APP1 Exif block carrying only the orientation tag, inserted after SOI.
std::string with_exif_orientation(const std::string& jpeg, int orientation) {
  std::string tiff = "MM";
  tiff += std::string("\x00\x2a\x00\x00\x00\x08", 6);  // magic, IFD0 at offset 8
  tiff += std::string("\x00\x01", 2);                  // one entry
  tiff += std::string("\x01\x12\x00\x03\x00\x00\x00\x01", 8);  // 0x0112 SHORT count 1
  tiff.push_back(0);
  tiff.push_back(static_cast<char>(orientation));
  tiff += std::string("\x00\x00", 2);
  tiff += std::string("\x00\x00\x00\x00", 4);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  std::string app1 = "\xFF\xE1";
  const auto len = static_cast<std::uint16_t>(payload.size() + 2);
  app1.push_back(static_cast<char>(len >> 8));
  app1.push_back(static_cast<char>(len & 0xFF));
  app1 += payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

const unsigned char kCmykJpeg[] = {
0xff,0xd8,0xff,0xee,0x00,0x0e,0x41,0x64,0x6f,0x62,0x65,0x00,0x64,0x00,0x00,0x00,
0x00,0x00,0xff,0xdb,0x00,0x43,0x00,0x03,0x02,0x02,0x03,0x02,0x02,0x03,0x03,0x03,
0x03,0x04,0x03,0x03,0x04,0x05,0x08,0x05,0x05,0x04,0x04,0x05,0x0a,0x07,0x07,0x06,
0x08,0x0c,0x0a,0x0c,0x0c,0x0b,0x0a,0x0b,0x0b,0x0d,0x0e,0x12,0x10,0x0d,0x0e,0x11,
0x0e,0x0b,0x0b,0x10,0x16,0x10,0x11,0x13,0x14,0x15,0x15,0x15,0x0c,0x0f,0x17,0x18,
0x16,0x14,0x18,0x12,0x14,0x15,0x14,0xff,0xc0,0x00,0x14,0x08,0x00,0x08,0x00,0x10,
0x04,0x43,0x11,0x00,0x4d,0x11,0x00,0x59,0x11,0x00,0x4b,0x11,0x00,0xff,0xc4,0x00,
0x1f,0x00,0x00,0x01,0x05,0x01,0x01,0x01,0x01,0x01,0x01,0x00,0x00,0x00,0x00,0x00,
0x00,0x00,0x00,0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,0x09,0x0a,0x0b,0xff,0xc4,
0x00,0xb5,0x10,0x00,0x02,0x01,0x03,0x03,0x02,0x04,0x03,0x05,0x05,0x04,0x04,0x00,
0x00,0x01,0x7d,0x01,0x02,0x03,0x00,0x04,0x11,0x05,0x12,0x21,0x31,0x41,0x06,0x13,
0x51,0x61,0x07,0x22,0x71,0x14,0x32,0x81,0x91,0xa1,0x08,0x23,0x42,0xb1,0xc1,0x15,
0x52,0xd1,0xf0,0x24,0x33,0x62,0x72,0x82,0x09,0x0a,0x16,0x17,0x18,0x19,0x1a,0x25,
0x26,0x27,0x28,0x29,0x2a,0x34,0x35,0x36,0x37,0x38,0x39,0x3a,0x43,0x44,0x45,0x46,
0x47,0x48,0x49,0x4a,0x53,0x54,0x55,0x56,0x57,0x58,0x59,0x5a,0x63,0x64,0x65,0x66,
0x67,0x68,0x69,0x6a,0x73,0x74,0x75,0x76,0x77,0x78,0x79,0x7a,0x83,0x84,0x85,0x86,
0x87,0x88,0x89,0x8a,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,0xa2,0xa3,0xa4,
0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xb2,0xb3,0xb4,0xb5,0xb6,0xb7,0xb8,0xb9,0xba,0xc2,
0xc3,0xc4,0xc5,0xc6,0xc7,0xc8,0xc9,0xca,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,
0xda,0xe1,0xe2,0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xf1,0xf2,0xf3,0xf4,0xf5,
0xf6,0xf7,0xf8,0xf9,0xfa,0xff,0xda,0x00,0x0e,0x04,0x43,0x00,0x4d,0x00,0x59,0x00,
0x4b,0x00,0x00,0x3f,0x00,0xfc,0xaa,0xaf,0xd5,0x3a,0xfd,0x53,0xaf,0xd5,0x3a,0xfe,
0xaa,0x28,0xa2,0x8a,0xff,0xd9
};

TEST(HostileImages, EveryTruncationOfAJpegOrPngIsAnErrorNeverACrash) {
  const cv::Mat img = noise(48, 64);
  for (const std::string ext : {".jpg", ".png", ".webp", ".bmp"}) {
    const std::string full = encode(img, ext);
    int errors = 0;
    for (size_t len = 0; len < full.size(); len += (len < 64 || len + 64 > full.size()) ? 1 : 17) {
      const Outcome o = decode(full.substr(0, len));
      if (o.ok) {
        // Only formats without an end marker may decode a cut file, and then at the declared size.
        EXPECT_NE(ext, ".jpg") << len;
        EXPECT_NE(ext, ".png") << len;
        EXPECT_EQ(o.image.size(), img.size()) << ext << " " << len;
        EXPECT_EQ(o.image.type(), CV_8UC3);
      } else {
        ++errors;
        EXPECT_TRUE(o.code == ErrorCode::kBadInput) << ext << " " << len << ": " << o.message;
        EXPECT_FALSE(o.message.empty());
      }
    }
    EXPECT_GT(errors, 64) << ext;
    EXPECT_TRUE(decode(full).ok) << ext;
  }
  // The JPEG message says what is wrong.
  const std::string jpg = encode(img, ".jpg");
  EXPECT_NE(decode(jpg.substr(0, jpg.size() - 100)).message.find("truncated"), std::string::npos);
}

TEST(HostileImages, ZeroSizeGarbageAndUnsupportedFormatsAreClearErrors) {
  EXPECT_NE(decode("").message.find("empty file"), std::string::npos);
  EXPECT_NE(decode("GIF89a").message.find("not a supported image"), std::string::npos);
  EXPECT_NE(decode(std::string(1000, '\0')).message.find("not a supported image"), std::string::npos);
  const std::string tiff = encode(noise(8, 8), ".tiff");
  EXPECT_NE(decode(tiff).message.find("not a supported image"), std::string::npos);
  // Only a signature: a header that cannot be read.
  EXPECT_EQ(decode("\xFF\xD8\xFF").code, ErrorCode::kBadInput);
  EXPECT_EQ(decode(std::string("\x89PNG\r\n\x1a\n", 8)).code, ErrorCode::kBadInput);
  EXPECT_EQ(decode("RIFF\0\0\0\0WEBPVP8 ").code, ErrorCode::kBadInput);
  EXPECT_EQ(decode("BM" + std::string(40, '\0')).code, ErrorCode::kBadInput);
}

TEST(HostileImages, WrongExtensionIsDetectedFromTheBytes) {
  ensemble::testing::TempDir dir;
  const std::string png = encode(noise(10, 12), ".png");
  ensemble::testing::write_text(dir / "really-a-png.jpg", png);
  const cv::Mat m = load_image(dir / "really-a-png.jpg");
  EXPECT_EQ(m.size(), cv::Size(12, 10));
  EXPECT_EQ(probe_image(png).format, ImageFormat::kPng);
  // And through an import: stored under the detected extension.
  auto store = store::Store::open(dir / "x.db");
  ensemble::testing::write_text(dir / "lb" / "look.jpg", png);
  const auto report = catalog::import_lookbooks(*store, {dir / "lb"}, quiet_import(),
                                                config::Config());
  ASSERT_EQ(report.inserted, 1) << (report.problems.empty() ? "" : report.problems[0].message);
  store::Statement st = store->db().prepare("SELECT image_ext FROM lookbooks");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), ".png");
}

TEST(HostileImages, StripsAreRefusedFromTheHeader) {
  // Header-only PNG declaring 1 x 100000.
  std::string strip("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  put_be32(strip, 1);
  put_be32(strip, 100000);
  strip += std::string("\x08\x02\0\0\0", 5);
  const Outcome o = decode(strip);
  EXPECT_EQ(o.code, ErrorCode::kTooLarge);
  EXPECT_NE(o.message.find("1x100000"), std::string::npos) << o.message;
  // Real encoded strips: 40000 px is over the side limit, 20000 px is decoded as it is.
  EXPECT_EQ(decode(png_bomb(1, 40000)).code, ErrorCode::kTooLarge);
  EXPECT_EQ(decode(png_bomb(40000, 1)).code, ErrorCode::kTooLarge);
  const Outcome ok = decode(png_bomb(1, 20000));
  ASSERT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.image.size(), cv::Size(1, 20000));
}

TEST(HostileImages, DecompressionBombsAreRefusedBeforeAnyPixelIsAllocated) {
  // A real 9000 x 9000 PNG (81 MP, over the 40 MP default) in a few kilobytes.
  const std::string bomb = png_bomb(9000, 9000);
  EXPECT_LT(bomb.size(), 200u * 1024);
  const long rss_before = max_rss_kb();
  const Outcome o = decode(bomb);
  EXPECT_EQ(o.code, ErrorCode::kTooLarge);
  EXPECT_NE(o.message.find("9000x9000"), std::string::npos) << o.message;
  EXPECT_LT(max_rss_kb() - rss_before, 40 * 1024) << "decoding 81 MP would take 81+ MB";

  // Header-declared giants in every format, each a few dozen bytes.
  std::string jpeg = encode(noise(8, 8), ".jpg");
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = jpeg[sof + 6] = jpeg[sof + 7] = jpeg[sof + 8] = '\xFF';  // 65535 x 65535
  EXPECT_EQ(decode(jpeg).code, ErrorCode::kTooLarge);
  std::string gif = "GIF89a";
  gif += std::string("\xFF\xFF\xFF\xFF", 4) + std::string(20, '\0');
  EXPECT_EQ(decode(gif).code, ErrorCode::kTooLarge);
  std::string webp = encode(noise(8, 8), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101});  // lossless
  ASSERT_EQ(webp.substr(12, 4), "VP8L");
  webp[21] = webp[22] = webp[23] = '\xFF';  // 14-bit width and height all ones: 16384 x 16384
  webp[24] = static_cast<char>(webp[24] | 0x0F);
  EXPECT_EQ(decode(webp).code, ErrorCode::kTooLarge);
  std::string bmp = encode(noise(8, 8), ".bmp");
  bmp[22] = bmp[23] = bmp[24] = '\0';
  bmp[25] = '\x80';  // height INT32_MIN
  EXPECT_NE(decode(bmp).code, ErrorCode::kInternal);
  EXPECT_FALSE(decode(bmp).ok);

  // The decoder's own size must agree with the header: a JPEG with a second, giant frame header.
  std::string two_sof = encode(noise(8, 8), ".jpg");
  const size_t s1 = two_sof.find("\xFF\xC0");
  const size_t seglen = (static_cast<unsigned char>(two_sof[s1 + 2]) << 8) |
                        static_cast<unsigned char>(two_sof[s1 + 3]);
  std::string giant = two_sof.substr(s1, seglen + 2);
  giant[5] = giant[6] = giant[7] = giant[8] = '\x7F';
  two_sof.insert(s1 + seglen + 2, giant);
  const Outcome t = decode(two_sof);
  EXPECT_FALSE(t.ok && t.image.total() > 64) << "decoded " << t.image.cols << "x" << t.image.rows;
}

TEST(HostileImages, BytesNeverReachADecoderOfAnotherFormat) {
  // Found by fuzz_image_load: a WebP whose VP8 header does not parse, with "DICM" at offset 128.
  // OpenCV's WebP decoder does not claim it, DICOM's does, and libgdcm aborts the process.
  std::ifstream in(std::string(ENSEMBLE_FUZZ_DIR) + "/regressions/image/webp-falls-through-to-dicom-gdcm-abort",
                   std::ios::binary);
  const std::string webp((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(webp.substr(128, 4), "DICM");
  const Outcome o = decode(webp);
  EXPECT_EQ(o.code, ErrorCode::kBadInput);
  EXPECT_NE(o.message.find("webp"), std::string::npos) << o.message;
  // GIF: this OpenCV has no GIF decoder, so the bytes would go the same way: refused up front.
  const Outcome g = decode("GIF89a\x02\x00\x02\x00" + std::string(200, '\0'));
  EXPECT_EQ(g.code, ErrorCode::kBadInput);
  EXPECT_NE(g.message.find("gif"), std::string::npos) << g.message;
}

TEST(HostileImages, ColourModelsAndDepthsBecomeBgr8) {
  // CMYK JPEG (Adobe, inverted values), made with libjpeg: left half cyan ink, right half none.
  const std::string cmyk(reinterpret_cast<const char*>(kCmykJpeg), sizeof kCmykJpeg);
  const Outcome c = decode(cmyk);
  ASSERT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.image.size(), cv::Size(16, 8));
  EXPECT_EQ(c.image.type(), CV_8UC3);
  const cv::Vec3b left = c.image.at<cv::Vec3b>(4, 2), right = c.image.at<cv::Vec3b>(4, 13);
  EXPECT_GT(left[0], 200);  // cyan: blue and green, no red
  EXPECT_GT(left[1], 200);
  EXPECT_LT(left[2], 60);
  EXPECT_GT(right[2], 200);  // no ink: white

  struct Case {
    std::string name;
    cv::Mat img;
    std::string ext;
  };
  const std::vector<Case> cases = {
      {"grey jpeg", noise(9, 11, CV_8UC1), ".jpg"},
      {"grey png", noise(9, 11, CV_8UC1), ".png"},
      {"grey 16-bit png", noise(9, 11, CV_16UC1), ".png"},
      {"rgb 16-bit png", noise(9, 11, CV_16UC3), ".png"},
      {"rgba 16-bit png", noise(9, 11, CV_16UC4), ".png"},
      {"rgba png", noise(9, 11, CV_8UC4), ".png"},
      {"rgba webp", noise(9, 11, CV_8UC4), ".webp"},
      {"bgra bmp", noise(9, 11, CV_8UC4), ".bmp"},
      {"grey bmp", noise(9, 11, CV_8UC1), ".bmp"},
  };
  for (const auto& k : cases) {
    const Outcome o = decode(encode(k.img, k.ext));
    ASSERT_TRUE(o.ok) << k.name << ": " << o.message;
    EXPECT_EQ(o.image.type(), CV_8UC3) << k.name;
    EXPECT_EQ(o.image.size(), cv::Size(11, 9)) << k.name;
  }
  // Grey + alpha PNG (2 channels), made by hand: colour type 4.
  {
    std::string ihdr;
    put_be32(ihdr, 2);
    put_be32(ihdr, 1);
    ihdr += std::string("\x08\x04\x00\x00\x00", 5);
    const unsigned char raw[] = {0, 200, 255, 10, 0};  // filter 0; (grey 200, opaque) (grey 10, clear)
    std::vector<unsigned char> z(64);
    uLongf zn = z.size();
    compress(z.data(), &zn, raw, sizeof raw);
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) +
                            png_chunk("IDAT", std::string(reinterpret_cast<char*>(z.data()), zn)) +
                            png_chunk("IEND", "");
    const Outcome o = decode(png);
    ASSERT_TRUE(o.ok) << o.message;
    EXPECT_EQ(o.image.type(), CV_8UC3);
    EXPECT_EQ(o.image.at<cv::Vec3b>(0, 0), cv::Vec3b(200, 200, 200));
    EXPECT_EQ(o.image.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 255, 255));  // transparent -> white
  }
  // 12-bit JPEG precision: this libjpeg reads 8-bit only; a clear error, not garbage.
  std::string deep = encode(noise(8, 8), ".jpg");
  deep[deep.find("\xFF\xC0") + 4] = 12;
  EXPECT_EQ(decode(deep).code, ErrorCode::kBadInput);
}

TEST(HostileImages, ExifOrientationIsAppliedAndSizesAreConsistent) {
  // 40 wide x 20 high: left half red, right half blue.
  cv::Mat img(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  img(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar(255, 0, 0));
  const std::string jpg = encode(img, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  // 6: the stored pixels must be rotated 90 degrees clockwise to display.
  const std::string rotated = with_exif_orientation(jpg, 6);
  const ImageHeader h = check_image_header(rotated, {});
  EXPECT_EQ(h.width, 40u);  // the header is the stored (unrotated) frame...
  EXPECT_EQ(h.height, 20u);
  const Outcome o = decode(rotated);
  ASSERT_TRUE(o.ok) << o.message;
  ASSERT_EQ(o.image.size(), cv::Size(20, 40));  // ...the decoded image is the displayed one
  const cv::Vec3b top = o.image.at<cv::Vec3b>(5, 10), bottom = o.image.at<cv::Vec3b>(35, 10);
  EXPECT_GT(top[2], 200);     // the left (red) half is now on top
  EXPECT_GT(bottom[0], 200);  // and the blue half below
  // 3: upside down (180 degrees): same size, halves swapped.
  const Outcome flipped = decode(with_exif_orientation(jpg, 3));
  ASSERT_TRUE(flipped.ok);
  EXPECT_EQ(flipped.image.size(), cv::Size(40, 20));
  EXPECT_GT(flipped.image.at<cv::Vec3b>(10, 5)[0], 200);
  // Nonsense orientations and a broken Exif block decode as stored.
  for (int bad : {0, 9, 255}) {
    const Outcome b = decode(with_exif_orientation(jpg, bad));
    ASSERT_TRUE(b.ok) << bad;
    EXPECT_EQ(b.image.size(), cv::Size(40, 20)) << bad;
  }
  std::string broken = with_exif_orientation(jpg, 6);
  broken[2 + 4 + 6 + 4 + 3] = '\x7F';  // IFD0 offset far outside the block
  EXPECT_TRUE(decode(broken).ok || !decode(broken).message.empty());

  // The import stores the displayed size.
  ensemble::testing::TempDir dir;
  ensemble::testing::write_text(dir / "lb" / "turned.jpg", rotated);
  auto store = store::Store::open(dir / "x.db");
  ASSERT_EQ(catalog::import_lookbooks(*store, {dir / "lb"}, quiet_import(),
                                      config::Config())
                .inserted,
            1);
  store::Statement st = store->db().prepare("SELECT width, height FROM lookbooks");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 20);
  EXPECT_EQ(st.column_int(1), 40);
}

TEST(HostileImages, AnimatedFilesGiveTheFirstFrameOrAClearError) {
  // Animated GIF (two 2x2 frames): this OpenCV has no GIF decoder: a clear error.
  std::string gif = "GIF89a";
  gif += std::string("\x02\x00\x02\x00\x80\x00\x00", 7);  // 2x2, global colour table of 2
  gif += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);
  gif += std::string("\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00", 19);  // loop forever
  for (int f = 0; f < 2; ++f) {
    gif += std::string("\x21\xF9\x04\x00\x0A\x00\x00\x00", 8);  // 0.1 s
    gif += std::string("\x2C\x00\x00\x00\x00\x02\x00\x02\x00\x00", 10);
    gif += std::string("\x02\x02\x44\x01\x00", 5);  // LZW min code size 2, one sub-block
  }
  gif += ";";
  const Outcome g = decode(gif);
  if (g.ok) {
    EXPECT_EQ(g.image.size(), cv::Size(2, 2));
  } else {
    EXPECT_EQ(g.code, ErrorCode::kBadInput);
    EXPECT_NE(g.message.find("gif"), std::string::npos) << g.message;
  }
  // Animated PNG (an acTL chunk before the image data): decoders that ignore it show the default
  // image, which is the first frame.
  const std::string png = encode(noise(6, 7), ".png");
  std::string actl;
  put_be32(actl, 2);  // frames
  put_be32(actl, 0);  // plays
  const std::string apng = png.substr(0, 33) + png_chunk("acTL", actl) + png.substr(33);
  const Outcome a = decode(apng);
  ASSERT_TRUE(a.ok) << a.message;
  EXPECT_EQ(a.image.size(), cv::Size(7, 6));
  // Animated WebP: VP8X with the animation flag, ANIM, and one ANMF frame holding a lossless frame.
  const std::string still = encode(noise(4, 4), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101});
  const std::string frame = still.substr(12);  // the VP8L chunk
  auto le24 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                       static_cast<char>((v >> 16) & 0xFF)};
  };
  auto chunk = [](const std::string& tag, const std::string& data) {
    std::string out = tag;
    const auto n = static_cast<std::uint32_t>(data.size());
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
    out += data;
    if (data.size() % 2 == 1) out.push_back('\0');
    return out;
  };
  const std::string vp8x = chunk("VP8X", std::string("\x02\0\0\0", 4) + le24(3) + le24(3));
  const std::string anim = chunk("ANIM", std::string(6, '\0'));
  const std::string anmf =
      chunk("ANMF", le24(0) + le24(0) + le24(3) + le24(3) + le24(100) + std::string(1, '\0') + frame);
  std::string body = "WEBP" + vp8x + anim + anmf + anmf;
  std::string riff = "RIFF";
  const auto n = static_cast<std::uint32_t>(body.size());
  for (int k = 0; k < 4; ++k) riff.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
  const Outcome w = decode(riff + body);
  if (w.ok) {
    EXPECT_EQ(w.image.size(), cv::Size(4, 4));
  } else {
    EXPECT_EQ(w.code, ErrorCode::kBadInput);
    EXPECT_FALSE(w.message.empty());
  }
}

TEST(HostileImages, SpecialFilesAreRefusedWithoutBlocking) {
  ensemble::testing::TempDir dir;
  const fs::path fifo = dir / "fifo.jpg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  ensemble::testing::write_text(dir / "empty.jpg", "");
  auto store = store::Store::open(dir / "x.db");
  // A FIFO given explicitly (a folder scan never picks it up) must not block the import.
  const auto report = catalog::import_lookbooks(*store, {fifo, dir / "empty.jpg"}, quiet_import(),
                                                config::Config());
  EXPECT_EQ(report.rejected, 2);
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_NE(report.problems[0].message.find("not found"), std::string::npos);
  EXPECT_NE(report.problems[1].message.find("empty file"), std::string::npos);
}

// Through the real CLI: images that pass the limits but are extreme (1x1, 2x3000 strips, a CMYK
// JPEG, a rotated one, 1:1500 strips) go through every stage without a crash or an internal error.
TEST(HostileImagesCli, PipelineSurvivesExtremeButValidImages) {
  ensemble::testing::TempDir dir;
  std::string csv = "id,title,category,image\n";
  for (int i = 0; i < 4; ++i) {
    cv::Mat m(40, 30, CV_8UC3, cv::Scalar(60 * i, 255 - 60 * i, 128));
    cv::rectangle(m, cv::Rect(5 + i, 5, 12, 20), cv::Scalar(20 * i, 40, 200), cv::FILLED);
    ASSERT_TRUE(cv::imwrite((dir / ("p" + std::to_string(i) + ".png")).string(), m));
    csv += "p" + std::to_string(i) + ",Product " + std::to_string(i) + ",shirt,p" + std::to_string(i) + ".png\n";
  }
  ensemble::testing::write_text(dir / "catalog.csv", csv);
  const fs::path lb = dir / "lookbooks";
  fs::create_directories(lb);
  ensemble::testing::write_text(lb / "one-pixel.png", encode(noise(1, 1), ".png"));
  ensemble::testing::write_text(lb / "tall-strip.png", png_bomb(2, 3000));
  ensemble::testing::write_text(lb / "wide-strip.png", png_bomb(3000, 2));
  ensemble::testing::write_text(lb / "flat.png", encode(cv::Mat(64, 64, CV_8UC3, cv::Scalar(9, 9, 9)), ".png"));
  ensemble::testing::write_text(lb / "cmyk.jpg", std::string(reinterpret_cast<const char*>(kCmykJpeg), sizeof kCmykJpeg));
  ensemble::testing::write_text(lb / "turned.jpg", with_exif_orientation(encode(noise(48, 64), ".jpg"), 6));
  ensemble::testing::write_text(lb / "deep.png", encode(noise(48, 64, CV_16UC4), ".png"));
  ensemble::testing::write_text(lb / "truncated.jpg", encode(noise(48, 64), ".jpg").substr(0, 300));
  auto r = ensemble::testing::run_cli(dir.path(), {"catalog", "import", "catalog.csv"});
  ASSERT_EQ(r.code, 0) << r.out;
  r = ensemble::testing::run_cli(dir.path(), {"lookbooks", "import", "lookbooks"});
  EXPECT_EQ(r.code, 2) << r.out;  // the truncated JPEG is refused, with its name
  EXPECT_NE(r.out.find("truncated.jpg"), std::string::npos) << r.out;
  r = ensemble::testing::run_cli(dir.path(), {"run"});
  EXPECT_TRUE(r.exited) << "ended by signal " << r.signal << "\n" << r.out;
  EXPECT_TRUE(r.code == 0 || r.code == 2) << r.out;
  EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ensemble::image
