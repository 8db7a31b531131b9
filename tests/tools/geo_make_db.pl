#!/usr/bin/perl
# geo_make_db.pl OUT.mmdb LAYOUT [VARIANT]
#
# Writes a small MaxMind DB file for flowtop's GeoIP tests with Debian's
# libmaxmind-db-writer-perl: documentation ranges mapped to invented places.
#   nested   MaxMind/DB-IP layout (country.iso_code, country.names.en,
#            city.names.en), type FlowtopTest-City; VARIANT 2 changes the
#            city of 192.0.2.0/24 to Metropolis (an "updated" database)
#   flat     ip-location-db layout (country_code, city), type "city ipv4"
#   asn      flat ASN layout (autonomous_system_number/organization), type
#            "asn"; the organisation carries a terminal escape sequence
#   other    a valid database of type Other-DB (for the type check of -u)
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $layout, $variant) = @ARGV;
die "usage: geo_make_db.pl OUT LAYOUT [VARIANT]\n" unless $out && $layout;
$variant //= 1;

my (%types, $type, @nets);
if ($layout eq 'nested' || $layout eq 'other') {
	%types = (country => 'map', city => 'map', names => 'map',
		  iso_code => 'utf8_string', en => 'utf8_string');
	$type = $layout eq 'other' ? 'Other-DB' : 'FlowtopTest-City';
	@nets = (
		['192.0.2.0/24', { country => { iso_code => 'NZ',
			names => { en => 'Invented Zealand' } },
			city => { names => { en => $variant == 2 ? 'Metropolis' : 'Gotham' } } }],
		['2001:db8::/32', { country => { iso_code => 'IS',
			names => { en => 'Iceland-Test' } },
			city => { names => { en => 'Springfield' } } }],
	);
} elsif ($layout eq 'flat') {
	%types = (country_code => 'utf8_string', city => 'utf8_string');
	$type = 'city ipv4';
	# only a code: the name must come from iso-codes (PT = Portugal)
	@nets = (['198.51.100.0/24', { country_code => 'PT', city => 'Atlantis' }]);
} elsif ($layout eq 'asn') {
	%types = (autonomous_system_number => 'uint32',
		  autonomous_system_organization => 'utf8_string');
	$type = 'asn';
	@nets = (['203.0.113.0/24', { autonomous_system_number => 64500,
		autonomous_system_organization => "Example\e[2J Networks" }]);
} else {
	die "geo_make_db.pl: unknown layout $layout\n";
}

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	record_size => 24,
	database_type => $type,
	languages => ['en'],
	description => { en => 'flowtop test data: documentation ranges, invented places' },
	map_key_type_callback => sub { $types{ $_[0] } },
	# the documentation ranges are "reserved": keep them
	remove_reserved_networks => 0,
);
$tree->insert_network($_->[0], $_->[1]) for @nets;
open(my $fh, '>:raw', $out) or die "geo_make_db.pl: $out: $!\n";
$tree->write_tree($fh);
close($fh) or die "geo_make_db.pl: $out: $!\n";
