# bash completion for oomguard(8)                          -*- shell-script -*-
#
# Self-contained: it needs only bash, not the bash-completion package's
# helpers, so tests/docs/check-flags.py can source it and call _oomguard
# directly. Keep the two lists in step with `oomguard --help`; that test
# fails when they are not.

_oomguard()
{
	local cur prev
	# Flags that take a value (the next word, or --flag=value).
	local opts_arg='-m --mem-min -s --swap-min -M --mem-min-size -S --swap-min-size
		--psi-threshold --psi-duration --psi-metric
		--warn-mem --warn-swap --warn-psi --warn-hook
		--prefer --avoid --ignore --cgroup
		--kill-timeout -P --pre-kill --pre-kill-wait -N --post-kill --kernel-oom-hook
		-r --report --metrics-file --procfs --sysfs --cgroupfs --user --state-dir'
	# Flags that stand alone.
	local opts_flag='--ignore-root-user --ignore-positive-adj --sort-by-rss --list --history --json
		--no-cgroup
		-g --kill-group --kill-cgroup --dryrun
		--syslog -p --once -d --debug -h --help -v --version -i -k -n --kernel-oom'
	local hooks_dir=/usr/share/oomguard/hooks

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	if ((COMP_CWORD > 0)); then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi
	# readline splits "--psi-metric=so" into "--psi-metric" "=" "so".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	case $prev in
	--psi-metric)
		mapfile -t COMPREPLY < <(compgen -W 'full some' -- "$cur")
		return 0
		;;
	-P | --pre-kill | -N | --post-kill | --kernel-oom-hook | --warn-hook)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		# Offer the shipped hooks by their full path.
		if [[ -d $hooks_dir && ($cur == "" || $hooks_dir/ == "$cur"* || $cur == "$hooks_dir"/*) ]]; then
			local hook
			for hook in "$hooks_dir"/*; do
				[[ -x $hook && $hook == "$cur"* ]] && COMPREPLY+=("$hook")
			done
		fi
		return 0
		;;
	--metrics-file)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--user)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return 0
		;;
	--cgroup)
		# A cgroup v2 path as /proc/PID/cgroup shows it: the directories
		# of the cgroup2 mount (or of a --cgroupfs given before), named
		# from its root, each with a '/' after it to go on (oomguard cuts
		# a trailing '/').
		local root='' dir i
		for ((i = 1; i < COMP_CWORD - 1; i++)); do
			if [[ ${COMP_WORDS[i]} == --cgroupfs ]]; then
				root=${COMP_WORDS[i + 1]}
				[[ $root == = ]] && root=${COMP_WORDS[i + 2]}
			fi
		done
		if [[ -z $root ]]; then
			root=/sys/fs/cgroup
			[[ -e $root/cgroup.controllers ]] || root=/sys/fs/cgroup/unified
			[[ -e $root/cgroup.controllers ]] || return 0
		fi
		root=${root%/}
		[[ $cur == "" || $cur == /* ]] || return 0
		while IFS= read -r dir; do
			COMPREPLY+=("${dir#"$root"}/")
		done < <(compgen -d -- "$root/${cur#/}")
		compopt -o nospace 2>/dev/null
		return 0
		;;
	--procfs | --sysfs | --cgroupfs | --state-dir)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	-m | --mem-min | -s | --swap-min | -M | --mem-min-size | -S | --swap-min-size | \
		--psi-threshold | --psi-duration | --warn-mem | --warn-swap | --warn-psi | --prefer | --avoid | --ignore | \
		--kill-timeout | --pre-kill-wait | -r | --report)
		# A number, size or regular expression: nothing to offer.
		return 0
		;;
	esac

	if [[ $cur == -* || -z $cur ]]; then
		# shellcheck disable=SC2086 # the lists are split on purpose
		mapfile -t COMPREPLY < <(compgen -W "$(printf '%s ' $opts_arg $opts_flag)" -- "$cur")
	fi
	return 0
}
complete -F _oomguard oomguard
