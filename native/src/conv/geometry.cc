// The shape of one convolution call, checked (conv.h).
#include <sstream>

#include "conv.h"

namespace sq::conv {

std::string Geometry::key() const {
  std::ostringstream s;
  s << N << ',' << H << ',' << W << ',' << C << ',' << KH << ',' << KW << ',' << O << ',' << OH << ',' << OW << ','
    << sh << ',' << sw << ',' << dh << ',' << dw << ',' << pt << ',' << pb << ',' << pl << ',' << pr;
  return s.str();
}

Geometry geometry(const std::vector<int64_t>& x, const std::vector<int64_t>& w, const std::vector<int64_t>& y,
                  const std::vector<int64_t>& p) {
  require(x.size() == 4, "input shape must have rank 4 (NHWC), got " + shapeStr(x));
  require(w.size() == 4, "filter shape must have rank 4 (HWIO), got " + shapeStr(w));
  require(y.size() == 4, "output shape must have rank 4 (NHWC), got " + shapeStr(y));
  require(p.size() == 8, "conv params must be [sh,sw,dh,dw,pt,pb,pl,pr]");
  Geometry g{x[0], x[1], x[2], x[3], w[0], w[1], w[3], y[1], y[2], p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
  for (auto d : x) require(d >= 1, "input dims must be >= 1, got " + shapeStr(x));
  for (auto d : w) require(d >= 1, "filter dims must be >= 1, got " + shapeStr(w));
  for (auto d : y) require(d >= 1, "output dims must be >= 1, got " + shapeStr(y));
  require(w[2] == x[3], "filter in-channels " + std::to_string(w[2]) + " != input channels " + std::to_string(x[3]));
  require(y[0] == x[0], "output batch != input batch");
  require(y[3] == w[3], "output channels != filter out-channels");
  require(g.sh >= 1 && g.sw >= 1, "strides must be >= 1");
  require(g.dh >= 1 && g.dw >= 1, "dilations must be >= 1");
  require(g.pt >= 0 && g.pb >= 0 && g.pl >= 0 && g.pr >= 0, "padding must be >= 0");
  int64_t ekh = (g.KH - 1) * g.dh + 1, ekw = (g.KW - 1) * g.dw + 1;
  require(g.H + g.pt + g.pb >= ekh && g.W + g.pl + g.pr >= ekw, "filter larger than padded input");
  int64_t oh = (g.H + g.pt + g.pb - ekh) / g.sh + 1, ow = (g.W + g.pl + g.pr - ekw) / g.sw + 1;
  require(oh == g.OH && ow == g.OW, "output size " + std::to_string(g.OH) + "x" + std::to_string(g.OW) +
                                        " does not match geometry (expected " + std::to_string(oh) + "x" +
                                        std::to_string(ow) + ")");
  return g;
}

}  // namespace sq::conv
