#!/usr/bin/perl
# Turns a file into a C++ source defining sim::EchartsJs() as a string literal (octal escapes for
# anything but plain printable ASCII), so the report embeds the library without reading files.
use strict;
local $/;
open(my $in, '<:raw', $ARGV[0]) or die "cannot read $ARGV[0]";
my $data = <$in>;
print "// Generated from $ARGV[0] by sim/report/embed.pl. Do not edit.\n";
print "#include \"sim/report/echarts_js.h\"\n\nnamespace sim {\nnamespace {\nconstexpr char kData[] =\n";
for (my $i = 0; $i < length($data); $i += 120) {
  my $chunk = substr($data, $i, 120);
  $chunk =~ s/([^ !#-\[\]-~])/sprintf("\\%03o", ord($1))/ge;
  print "    \"$chunk\"\n";
}
print "    ;\n}  // namespace\n\nstd::string_view EchartsJs() { return std::string_view(kData, sizeof(kData) - 1); }\n\n}  // namespace sim\n";
